/* The TLV frame log in vmm: chunks reassembled into frames, a CRC flag on any chunk marks
 * the frame, an unfinished frame stays incomplete, PRAW frames are written to the profraw
 * directory (complete ones only, numbered in order) and named in the JSON. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc/tlv.h"
#include "vmm/frames.h"

static const struct frame *take(struct frame_log *l, uint32_t type, uint32_t flags,
				const void *data, uint32_t len)
{
	struct ipc_guest_frame c = { .type = type, .flags = flags, .len = len };

	memcpy(c.data, data, len);
	return frame_log_take(l, &c);
}

static void test_reassembly_profraw_and_json(void **state)
{
	static uint8_t praw[3000];
	char dir[] = "/tmp/ktstr-frames-XXXXXX", path[128], json[8192] = "", want[256];
	struct frame_log l = { 0 };
	uint8_t back[4000];
	FILE *f;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(praw); i++)
		praw[i] = (uint8_t)(i * 13);
	assert_non_null(take(&l, TLV_TEST, IPC_FRAME_LAST, "hi", 2));
	assert_null(take(&l, TLV_PRAW, 0, praw, 2048));
	assert_non_null(take(&l, TLV_PRAW, IPC_FRAME_LAST | IPC_FRAME_CRC_BAD, praw + 2048, 952));
	assert_null(take(&l, TLV_PRAW, 0, praw, 10));            /* never finished */
	assert_int_equal(l.n, 3);
	assert_int_equal(l.frame[1].len, sizeof(praw));
	assert_false(l.frame[1].crc_ok);
	assert_true(l.frame[0].crc_ok && l.frame[0].complete);
	assert_false(l.frame[2].complete);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(frame_log_write_profraw(&l, dir, &(struct kerr){ 0 }), 0);
	snprintf(path, sizeof(path), "%s/ktstr-0.profraw", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), sizeof(praw));
	assert_memory_equal(back, praw, sizeof(praw));
	close(fd);
	snprintf(path, sizeof(path), "%s/ktstr-1.profraw", dir);
	assert_int_equal(access(path, F_OK), -1);                   /* the unfinished one */

	f = fmemopen(json, sizeof(json) - 1, "w");
	assert_non_null(f);
	frame_log_write_json(f, &l, dir);
	fclose(f);
	assert_non_null(strstr(json, "\"type\": \"TEST\", \"crc_ok\": true, \"complete\": true, \"bytes\": 2, \"data\": \"hi\""));
	snprintf(want, sizeof(want), "\"bytes\": 3000, \"file\": \"%s/ktstr-0.profraw\"", dir);
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(json, "\"complete\": false, \"bytes\": 10, \"file\": null"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/ktstr-0.profraw", dir);
	unlink(path);
	rmdir(dir);
	frame_log_free(&l);
}

/* A chunk of another type closes nothing but starts a new frame; an unwritable directory
 * is an error naming it. */
static void test_type_change_and_bad_dir(void **state)
{
	struct frame_log l = { 0 };
	struct kerr err = { 0 };

	(void)state;
	assert_null(take(&l, TLV_RAWO, 0, "ab", 2));
	assert_non_null(take(&l, TLV_PRAW, IPC_FRAME_LAST, "cd", 2));
	assert_int_equal(l.n, 2);
	assert_false(l.frame[0].complete);
	assert_true(frame_log_write_profraw(&l, "/nonexistent/dir", &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/ktstr-0.profraw"));
	frame_log_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reassembly_profraw_and_json),
		cmocka_unit_test(test_type_change_and_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
