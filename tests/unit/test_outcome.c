/* How a run's outcome becomes ktstr-vmm's exit status and the --results JSON: precedence of
 * host error, kernel panic, reported status and timeout; text pieces; escaping of guest bytes;
 * the file appears whole or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc/tlv.h"
#include "vmm/json.h"
#include "vmm/outcome.h"

static void give_text(struct outcome *o, enum ipc_text_kind kind, const char *s, bool last)
{
	struct ipc_msg m;

	memset(&m, 0, sizeof(m));
	m.type = IPC_MSG_GUEST_TEXT;
	m.body.guest_text.kind = kind;
	m.body.guest_text.len = (uint32_t)strlen(s);
	m.body.guest_text.flags = last ? IPC_TEXT_LAST : 0;
	memcpy(m.body.guest_text.data, s, strlen(s));
	outcome_take(o, &m);
}

static void give_exit(struct outcome *o, int status)
{
	struct ipc_msg m;

	memset(&m, 0, sizeof(m));
	m.type = IPC_MSG_GUEST_EXIT;
	m.body.guest_exit.status = status;
	outcome_take(o, &m);
}

static char *read_all(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void give_frame(struct outcome *o, uint32_t type, const char *s, bool crc_bad)
{
	struct ipc_msg m;

	memset(&m, 0, sizeof(m));
	m.type = IPC_MSG_GUEST_FRAME;
	m.body.guest_frame.type = type;
	m.body.guest_frame.flags = IPC_FRAME_LAST | (crc_bad ? IPC_FRAME_CRC_BAD : 0);
	m.body.guest_frame.len = (uint32_t)strlen(s);
	memcpy(m.body.guest_frame.data, s, strlen(s));
	outcome_take(o, &m);
}

/* A scheduler that died under the payload (an intact SCDX frame) outranks the payload's own
 * status, not a kernel panic; the first report is kept, a damaged one ignored, and the JSON
 * carries what it said. */
static void test_scheduler_died(void **state)
{
	char dir[] = "/tmp/ktstr-results-XXXXXX", path[128];
	struct outcome o;
	struct kerr err = { 0 };
	const char *json;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.json", dir);
	outcome_init(&o);
	o.end = VM_END_GUEST_RESET;
	give_exit(&o, 0);
	snprintf(o.host_cpus, sizeof(o.host_cpus), "0-1,4");      /* --cpu-cap's CPUs */
	give_frame(&o, TLV_SCDX, "forged", true);             /* bad CRC: not a report */
	assert_int_equal(outcome_exit_code(&o), 0);
	give_frame(&o, TLV_SCDX, "/scheduler killed by signal KILL; sched_ext: BPF scheduler "
		   "\"simple\" disabled (unregistered from user space)", false);
	give_frame(&o, TLV_SCDX, "a second report", false);
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_SCHEDULER_DIED);
	assert_string_equal(outcome_name(&o), "scheduler_died");
	assert_int_equal(outcome_write_json(&o, path, &err), 0);
	json = read_all(path);
	assert_non_null(strstr(json, "\"scheduler_exit\": \"/scheduler killed by signal KILL; "
				     "sched_ext: BPF scheduler \\\"simple\\\" disabled (unregistered from "
				     "user space)\","));
	assert_non_null(strstr(json, "\"guest_exit_status\": 0,"));
	assert_non_null(strstr(json, "\"host_cpus\": \"0-1,4\","));
	give_text(&o, IPC_TEXT_KERNEL_PANIC, "Kernel panic - not syncing: x\n", true);
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_PANIC);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	outcome_free(&o);
}

static void test_exit_code_precedence(void **state)
{
	struct outcome o;

	(void)state;
	outcome_init(&o);
	o.end = VM_END_GUEST_RESET;
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_NO_RESULT);
	assert_string_equal(outcome_name(&o), "no_result");
	o.end = VM_END_TIMEOUT;
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_TIMEOUT);
	give_exit(&o, 7);
	give_exit(&o, 42);                  /* the last report counts */
	assert_int_equal(outcome_exit_code(&o), 42);
	assert_string_equal(outcome_name(&o), "exited");
	give_text(&o, IPC_TEXT_KERNEL_PANIC, "Kernel panic - not syncing: x\n", true);
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_PANIC);
	assert_string_equal(outcome_name(&o), "kernel_panic");
	o.end = VM_END_HOST_ERROR;
	assert_int_equal(outcome_exit_code(&o), VMM_EXIT_HOST_ERROR);
	o.end = VM_END_SIGNAL;
	assert_string_equal(outcome_name(&o), "interrupted");
	outcome_free(&o);
}

static void test_init_start_milestone(void **state)
{
	struct outcome o;
	struct ipc_msg m;

	(void)state;
	outcome_init(&o);
	assert_false(o.saw_init_start);
	assert_true(o.ms_first_run_to_init < 0);
	memset(&m, 0, sizeof(m));
	m.type = IPC_MSG_GUEST_MILESTONE;
	m.body.guest_milestone.milestone = IPC_MILESTONE_INIT_START;
	outcome_take(&o, &m);
	assert_true(o.saw_init_start);
	assert_true(o.init_start.tv_sec > 0 || o.init_start.tv_nsec > 0);
	outcome_free(&o);
}

static void test_pieces(void **state)
{
	struct outcome o;
	const char *d;
	size_t n;

	(void)state;
	outcome_init(&o);
	assert_false(outcome_piece(&o, IPC_TEXT_RESULT, 0, &d, &n));
	give_text(&o, IPC_TEXT_RESULT, "first ", false);
	give_text(&o, IPC_TEXT_RESULT, "block\n", true);
	give_text(&o, IPC_TEXT_RESULT, "second\n", true);
	give_text(&o, IPC_TEXT_RESULT, "unfinished", false);
	assert_true(outcome_piece(&o, IPC_TEXT_RESULT, 0, &d, &n));
	assert_int_equal(n, 12);
	assert_memory_equal(d, "first block\n", 12);
	assert_true(outcome_piece(&o, IPC_TEXT_RESULT, 1, &d, &n));
	assert_memory_equal(d, "second\n", n);
	assert_true(outcome_piece(&o, IPC_TEXT_RESULT, 2, &d, &n));
	assert_memory_equal(d, "unfinished", n);
	assert_false(outcome_piece(&o, IPC_TEXT_RESULT, 3, &d, &n));
	outcome_free(&o);
}

static void test_text_capped_and_marked(void **state)
{
	static char chunk[IPC_TEXT_CHUNK + 1];
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	assert_non_null(o);
	outcome_init(o);
	memset(chunk, 'r', IPC_TEXT_CHUNK);
	for (size_t i = 0; i < OUTCOME_TEXT_MAX / IPC_TEXT_CHUNK + 10; i++)
		give_text(o, IPC_TEXT_RESULT, chunk, false);
	assert_int_equal(o->text[IPC_TEXT_RESULT].len, OUTCOME_TEXT_MAX);
	assert_true(o->text[IPC_TEXT_RESULT].truncated);
	outcome_free(o);
	free(o);
}


static void test_json_escapes_every_byte(void **state)
{
	char path[] = "/tmp/ktstr-json-XXXXXX";
	const char raw[] = "q\"b\\n\nt\tc\x01h\xff";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	json_string(f, raw, sizeof(raw) - 1);
	fclose(f);
	assert_string_equal(read_all(path), "\"q\\\"b\\\\n\\nt\\tc\\u0001h\\u00ff\"");
	unlink(path);
}

static void test_results_file(void **state)
{
	char dir[] = "/tmp/ktstr-results-XXXXXX", path[128], tmp[140];
	struct outcome o;
	struct kerr err = { 0 };
	const char *json;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	outcome_init(&o);
	o.end = VM_END_GUEST_RESET;
	give_exit(&o, 3);
	give_text(&o, IPC_TEXT_RESULT, "{\"ok\": true}\n", true);
	give_text(&o, IPC_TEXT_PANIC, "boom\n", true);
	o.ms_to_first_run = 1.5;
	outcome_add_device_fault(&o, "blk device process (killed by signal 9 (Killed)): blk device: "
				 "did not finish within 3000 ms");
	o.console_log_file = true;
	o.console_log_bytes = o.console_log_limit = 1 << 20;
	o.console_log_truncated = true;
	assert_int_equal(outcome_write_json(&o, path, &err), 0);
	json = read_all(path);
	assert_non_null(strstr(json, "\"outcome\": \"exited\""));
	assert_non_null(strstr(json, "\"exit_code\": 3,"));
	assert_non_null(strstr(json, "\"scheduler_exit\": null,"));
	assert_non_null(strstr(json, "\"host_cpus\": null,"));
	assert_non_null(strstr(json, "\"guest_exit_status\": 3,"));
	assert_non_null(strstr(json, "\"results\": [\"{\\\"ok\\\": true}\\n\"]"));
	assert_non_null(strstr(json, "\"panics\": [\"boom\\n\"]"));
	assert_non_null(strstr(json, "\"kernel_panic\": []"));
	assert_non_null(strstr(json, "\"truncated\": false"));
	assert_non_null(strstr(json, "\"start_to_first_run\": 1.500"));
	assert_non_null(strstr(json, "\"first_run_to_init\": null"));   /* never seen: not 0 */
	assert_non_null(strstr(json, "\"device_faults\": [\"blk device process (killed by signal 9 "
				     "(Killed)): blk device: did not finish within 3000 ms\"]"));
	assert_non_null(strstr(json, "\"console_log\": { \"bytes\": 1048576, \"limit_bytes\": 1048576, "
				     "\"truncated\": true }"));
	assert_int_equal(access(tmp, F_OK), -1);
	unlink(path);
	/* an unwritable place is an error naming the file, and leaves nothing behind */
	snprintf(path, sizeof(path), "%s/missing/out.json", dir);
	assert_true(outcome_write_json(&o, path, &err) < 0);
	assert_non_null(strstr(err.msg, "missing/out.json.tmp"));
	assert_int_equal(rmdir(dir), 0);
	outcome_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code_precedence),
		cmocka_unit_test(test_scheduler_died),
		cmocka_unit_test(test_init_start_milestone),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_text_capped_and_marked),
		cmocka_unit_test(test_json_escapes_every_byte),
		cmocka_unit_test(test_results_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
