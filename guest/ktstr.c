/* libktstr; see ktstr.h. Plain libc, so payloads can link it statically. */
#include "guest/ktstr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uint32_t ktstr_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put_le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

void ktstr_frame_header(uint8_t hdr[KTSTR_TLV_HEADER], uint32_t type, const void *buf, uint32_t len)
{
	put_le32(hdr, type);
	put_le32(hdr + 4, len);
	put_le32(hdr + 8, ktstr_crc32(buf, len));
	put_le32(hdr + 12, 0);
}

/* The port named KTSTR_PORT_NAME in sysfs, else /dev/vport0p1. */
static int open_port(void)
{
	char path[300], name[64];
	struct dirent *e;
	DIR *dir = opendir("/sys/class/virtio-ports");
	int fd = -1;

	while (dir && fd < 0 && (e = readdir(dir))) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && strncmp(name, KTSTR_PORT_NAME, strlen(KTSTR_PORT_NAME)) == 0) {
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			fd = open(path, O_WRONLY | O_CLOEXEC);
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return fd >= 0 ? fd : open("/dev/vport0p1", O_WRONLY | O_CLOEXEC);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ktstr_send(uint32_t type, const void *buf, size_t len)
{
	uint8_t hdr[KTSTR_TLV_HEADER];
	int fd, r;

	if (len > KTSTR_TLV_MAX)
		return -EMSGSIZE;
	fd = open_port();
	if (fd < 0)
		return -ENODEV;
	ktstr_frame_header(hdr, type, buf, (uint32_t)len);
	r = write_all(fd, hdr, sizeof(hdr));
	if (r == 0)
		r = write_all(fd, buf, len);
	close(fd);
	return r;
}

int ktstr_send_exit(int status)
{
	uint8_t b[4];

	put_le32(b, (uint32_t)status);
	return ktstr_send(KTSTR_TLV_EXIT, b, sizeof(b));
}

/* Appends s as a JSON string body (quotes and control characters escaped). */
static size_t json_escape(char *out, size_t room, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, room - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, room - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

int ktstr_send_test(const char *name, int passed, const char *detail)
{
	char n[512], d[2048], buf[2700];
	int len;

	json_escape(n, sizeof(n), name);
	json_escape(d, sizeof(d), detail ? detail : "");
	len = snprintf(buf, sizeof(buf), "{\"name\":\"%s\",\"passed\":%s,\"detail\":\"%s\"}", n,
		       passed ? "true" : "false", d);
	return ktstr_send(KTSTR_TLV_TEST, buf, (size_t)len);
}

int ktstr_send_metric(const char *name, double value, const char *unit)
{
	char n[512], u[64], buf[700];
	int len;

	json_escape(n, sizeof(n), name);
	json_escape(u, sizeof(u), unit ? unit : "");
	len = snprintf(buf, sizeof(buf), "{\"name\":\"%s\",\"value\":%.17g,\"unit\":\"%s\"}", n, value, u);
	return ktstr_send(KTSTR_TLV_PMET, buf, (size_t)len);
}
