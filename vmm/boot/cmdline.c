/* Kernel command line assembly; see cmdline.h. */
#include "vmm/boot/cmdline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int append_fmt(char *buf, size_t size, size_t *used, struct kerr *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used)
		return kerr_set(err, E2BIG, "the kernel command line is longer than %zu bytes", size - 1);
	*used += (size_t)n;
	return 0;
}

/* The kernel splits its command line on spaces and understands double quotes, nothing more:
 * an argument with a quote, a newline or nothing in it cannot be passed this way. */
static int append_arg(char *buf, size_t size, size_t *used, unsigned idx, const char *arg,
		      struct kerr *err)
{
	if (arg[0] == '\0' || strpbrk(arg, "\"\n\r"))
		return kerr_set(err, EINVAL, "payload argument %u (\"%s\") cannot travel on the kernel "
				"command line (it is empty or holds a double quote or newline)", idx, arg);
	if (strpbrk(arg, " \t"))
		return append_fmt(buf, size, used, err, " \"%s\"", arg);
	return append_fmt(buf, size, used, err, " %s", arg);
}

int cmdline_build(char *buf, size_t size, const char *append, char *const *payload,
		  struct kerr *err)
{
	size_t used = 0;
	unsigned n = 0;
	int r;

	if ((r = append_fmt(buf, size, &used, err, "%s", CMDLINE_DEFAULT)) < 0)
		return r;
	if (append && (r = append_fmt(buf, size, &used, err, " %s", append)) < 0)
		return r;
	if (!payload || !payload[0])
		return 0;
	if ((r = append_fmt(buf, size, &used, err, " --")) < 0)
		return r;
	for (; payload[n]; n++) {
		if (n >= CMDLINE_MAX_INIT_ARGS)
			return kerr_set(err, E2BIG, "the payload has more than %d arguments, the most the "
					"kernel passes to init", CMDLINE_MAX_INIT_ARGS);
		if ((r = append_arg(buf, size, &used, n, payload[n], err)) < 0)
			return r;
	}
	return 0;
}

int cmdline_virtio_devices(char *buf, size_t size, const struct acpi_virtio *v, unsigned n,
			   struct kerr *err)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		int r = append_fmt(buf, size, &used, err, "%svirtio_mmio.device=%uK@0x%x:%u",
				   i ? " " : "", v[i].len >> 10, v[i].base, v[i].gsi);

		if (r < 0)
			return r;
	}
	return 0;
}
