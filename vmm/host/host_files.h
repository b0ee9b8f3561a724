/* Reading the host's /sys and /proc under a root ("/" on a real host, a made-up tree in
 * tests): what host_check, host_topology and --performance share. */
#ifndef KTSTR_VMM_HOST_FILES_H
#define KTSTR_VMM_HOST_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* root + rel ("/dev/kvm"), without a doubled slash when root is "/". */
void host_path(char *buf, size_t size, const char *root, const char *rel);

/* The first line of root/rel (newline cut) into buf; false when it cannot be read. */
bool host_read_line(const char *root, const char *rel, char *buf, size_t size);

/* The first "flags" line of root/proc/cpuinfo into buf (every CPU has the flags that matter
 * here); false when there is none. */
bool host_cpuinfo_flags(const char *root, char *buf, size_t size);

/* Whether word stands in line as a whole, blank-separated word. */
bool host_has_word(const char *line, const char *word);

#endif
