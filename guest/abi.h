/* What the guest and the host agree on, in one place: the paths in the initramfs that
 * ktstr-init reads (written by initgen), and the lines ktstr-init says on COM2 (read by the
 * serial device's parser). Changing one here changes both ends. */
#ifndef KTSTR_GUEST_ABI_H
#define KTSTR_GUEST_ABI_H

/* Paths in the initramfs. */
#define KTSTR_ABI_DIR              "/ktstr"
#define KTSTR_ABI_ARGV_PATH        "/ktstr/argv"             /* payload argv, NUL-separated */
#define KTSTR_ABI_SCHED_ARGV_PATH  "/ktstr/scheduler_argv"   /* /scheduler's argv, likewise */
#define KTSTR_ABI_MODULES_PATH     "/ktstr/modules"          /* modules to load, one per line */
#define KTSTR_ABI_SCHEDULER_PATH   "/scheduler"
#define KTSTR_ABI_INIT_PATH        "/init"

/* COM2 (/dev/ttyS1): one line each, except the blocks. */
#define KTSTR_ABI_EXIT_PREFIX      "KTSTR_EXIT="        /* then the status, 0..255 */
#define KTSTR_ABI_INIT_START       "KTSTR_INIT_START"   /* ktstr-init began: boot timing ends */
#define KTSTR_ABI_LIFECYCLE_PREFIX "KTSTR_LIFECYCLE="   /* progress, for the reader of the log */
#define KTSTR_ABI_PANIC_PREFIX     "PANIC: "            /* then lines up to an empty one */
#define KTSTR_ABI_RESULT_START     "===KTSTR_TEST_RESULT_START==="
#define KTSTR_ABI_RESULT_END       "===KTSTR_TEST_RESULT_END==="

#endif
