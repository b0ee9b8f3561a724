/* The serial parser on its own: what COM2 lines and COM1 panics turn into, how lines split
 * across writes are joined, and that hostile input (long lines, garbage, bad KTSTR_EXIT
 * values, unterminated blocks) is bounded and reported, never misread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devproc/serial_parser.h"

/* What the sink was given: every exit status, and per kind the text and completed pieces. */
struct capture {
	int exits[8];
	unsigned nexits;
	char text[IPC_TEXT_KIND_END][65536];
	size_t len[IPC_TEXT_KIND_END];
	unsigned pieces[IPC_TEXT_KIND_END];
	size_t max_chunk;
	unsigned init_starts;
};

static void cap_exit(void *opaque, int status)
{
	struct capture *c = opaque;

	assert_true(c->nexits < 8);
	c->exits[c->nexits++] = status;
}

static void cap_milestone(void *opaque, enum ipc_milestone m)
{
	struct capture *c = opaque;

	assert_int_equal(m, IPC_MILESTONE_INIT_START);
	c->init_starts++;
}

static void cap_text(void *opaque, enum ipc_text_kind kind, const char *data, size_t len, bool last)
{
	struct capture *c = opaque;

	assert_true(kind > 0 && kind < IPC_TEXT_KIND_END);
	if (len > c->max_chunk)
		c->max_chunk = len;
	if (c->len[kind] + len < sizeof(c->text[kind])) {
		memcpy(c->text[kind] + c->len[kind], data, len);
		c->len[kind] += len;
		c->text[kind][c->len[kind]] = '\0';
	}
	if (last)
		c->pieces[kind]++;
}

struct fixture {
	struct serial_parser p;
	struct capture c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct serial_sink sink = { .exit_status = cap_exit, .milestone = cap_milestone,
				    .text = cap_text };

	if (!f)
		return -1;
	sink.opaque = &f->c;
	serial_parser_init(&f->p, &sink);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void com2(struct fixture *f, const char *s)
{
	serial_parser_com2(&f->p, (const uint8_t *)s, strlen(s));
}

static void com1(struct fixture *f, const char *s)
{
	serial_parser_com1(&f->p, (const uint8_t *)s, strlen(s));
}

static void test_exit_line_values(void **state)
{
	bool malformed;

	(void)state;
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=0", 12, &malformed), 0);
	assert_false(malformed);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=255", 14, &malformed), 255);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=42", 13, &malformed), 42);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=256", 14, &malformed), -1);
	assert_true(malformed);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=", 11, &malformed), -1);
	assert_true(malformed);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=-1", 13, &malformed), -1);
	assert_true(malformed);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=1x", 13, &malformed), -1);
	assert_true(malformed);
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=0001", 15, &malformed), -1);
	assert_true(malformed);
	assert_int_equal(serial_parse_exit_line("hello", 5, &malformed), -1);
	assert_false(malformed);
	/* the length given counts, not a terminator */
	assert_int_equal(serial_parse_exit_line("KTSTR_EXIT=71", 12, &malformed), 7);
}

static void test_exit_split_across_writes(void **state)
{
	struct fixture *f = *state;

	com2(f, "noise\nKTSTR_EX");
	com2(f, "IT=4");
	assert_int_equal(f->c.nexits, 0);
	com2(f, "2\r\n");
	assert_int_equal(f->c.nexits, 1);
	assert_int_equal(f->c.exits[0], 42);
	com2(f, "KTSTR_EXIT=999\nKTSTR_EXIT=abc\n");
	assert_int_equal(f->c.nexits, 1);
	assert_int_equal(f->p.stats.malformed_exit_lines, 2);
}

static void test_init_start_once(void **state)
{
	struct fixture *f = *state;

	com2(f, "KTSTR_INIT_START_NOT\n KTSTR_INIT_START\n");
	assert_int_equal(f->c.init_starts, 0);
	com2(f, "KTSTR_INIT_START\r\nKTSTR_INIT_START\n");
	assert_int_equal(f->c.init_starts, 1);   /* a guest repeating it changes nothing */
}

static void test_result_block(void **state)
{
	struct fixture *f = *state;

	com2(f, "before\n===KTSTR_TEST_RESULT_START===\n{\"a\": 1}\nline two\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_RESULT], 0);
	com2(f, "===KTSTR_TEST_RESULT_END===\nKTSTR_EXIT=0\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_RESULT], 1);
	assert_string_equal(f->c.text[IPC_TEXT_RESULT], "{\"a\": 1}\nline two\n");
	/* a KTSTR_EXIT line inside a result block is result text, not a status */
	com2(f, "===KTSTR_TEST_RESULT_START===\nKTSTR_EXIT=3\n===KTSTR_TEST_RESULT_END===\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_RESULT], 2);
	assert_int_equal(f->c.nexits, 1);
	assert_int_equal(f->c.exits[0], 0);
}

static void test_panic_block_ends_at_blank_or_ktstr_line(void **state)
{
	struct fixture *f = *state;

	com2(f, "PANIC: payload killed by signal 11\n  #0 frame\n  #1 frame\n\nignored\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_PANIC], 1);
	assert_string_equal(f->c.text[IPC_TEXT_PANIC],
			    "payload killed by signal 11\n  #0 frame\n  #1 frame\n");
	com2(f, "PANIC: second\nKTSTR_EXIT=1\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_PANIC], 2);
	assert_int_equal(f->c.nexits, 1);
	assert_int_equal(f->c.exits[0], 1);
}

static void test_panic_block_capped(void **state)
{
	struct fixture *f = *state;

	com2(f, "PANIC: endless\n");
	for (unsigned i = 0; i < SERIAL_PANIC_MAX_LINES + 50; i++)
		com2(f, "frame\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_PANIC], 1);
	assert_non_null(strstr(f->c.text[IPC_TEXT_PANIC], "[panic report cut"));
	/* after the cap the parser is back to idle and still reads statuses */
	com2(f, "KTSTR_EXIT=5\n");
	assert_int_equal(f->c.nexits, 1);
	assert_int_equal(f->c.exits[0], 5);
}

static void test_long_lines_bounded(void **state)
{
	struct fixture *f = *state;
	static char big[SERIAL_LINE_MAX * 5];

	/* a long line outside any block is cut and counted, and a KTSTR_EXIT that starts one is
	 * not believed */
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "KTSTR_EXIT=1", 12);
	com2(f, big);
	com2(f, "\n");
	assert_int_equal(f->c.nexits, 0);
	assert_int_equal(f->p.stats.cut_lines, 1);
	assert_int_equal(f->p.stats.malformed_exit_lines, 1);
	/* inside a result the whole line streams through in pieces no larger than the buffer */
	com2(f, "===KTSTR_TEST_RESULT_START===\n");
	memset(big, 'y', sizeof(big) - 1);
	com2(f, big);
	com2(f, "\n===KTSTR_TEST_RESULT_END===\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_RESULT], 1);
	assert_int_equal(f->c.len[IPC_TEXT_RESULT], sizeof(big));   /* every y and the newline */
	assert_true(f->c.max_chunk <= SERIAL_LINE_MAX);
	assert_int_equal(f->p.com2.len, 0);
}

static void test_binary_garbage(void **state)
{
	struct fixture *f = *state;
	uint8_t junk[70000];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (uint8_t)(x >> 16);
	}
	serial_parser_com2(&f->p, junk, sizeof(junk));
	serial_parser_com1(&f->p, junk, sizeof(junk));
	serial_parser_finish(&f->p);
	assert_true(f->p.com2.len <= SERIAL_LINE_MAX);
	assert_int_equal(f->p.stats.com2_bytes, sizeof(junk));
	com2(f, "\nKTSTR_EXIT=9\n");
	assert_int_equal(f->c.exits[f->c.nexits - 1], 9);
}

static void test_unterminated_result_reported(void **state)
{
	struct fixture *f = *state;

	com2(f, "===KTSTR_TEST_RESULT_START===\npartial\nno newline");
	serial_parser_finish(&f->p);
	assert_int_equal(f->c.pieces[IPC_TEXT_RESULT], 1);
	assert_string_equal(f->c.text[IPC_TEXT_RESULT],
			    "partial\nno newline\n[result block not terminated: the guest ended inside it]\n");
}

static void test_kernel_panic_on_com1_with_history(void **state)
{
	struct fixture *f = *state;

	com1(f, "[    1.0] boring line\n");
	for (unsigned i = 0; i < SERIAL_HISTORY_LINES; i++)
		com1(f, "[    2.0] oops context\n");
	com1(f, "[    3.0] Kernel panic - not syncing: sysrq triggered crash\r\n");
	com1(f, "[    3.1] CPU: 0 PID: 1\n[    3.2] ---[ end Kernel panic - not syncing: sysrq ]---\n");
	com1(f, "after the end\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_KERNEL_PANIC], 1);
	assert_null(strstr(f->c.text[IPC_TEXT_KERNEL_PANIC], "boring"));   /* out of history */
	assert_non_null(strstr(f->c.text[IPC_TEXT_KERNEL_PANIC], "oops context\n"));
	assert_non_null(strstr(f->c.text[IPC_TEXT_KERNEL_PANIC],
			       "Kernel panic - not syncing: sysrq triggered crash\n[    3.1] CPU"));
	assert_null(strstr(f->c.text[IPC_TEXT_KERNEL_PANIC], "after the end"));
	/* a second panic line (e.g. a panic during the panic) does not start a second report */
	com1(f, "Kernel panic - not syncing: again\n");
	assert_int_equal(f->c.pieces[IPC_TEXT_KERNEL_PANIC], 1);
}

static void test_kernel_panic_cut_at_end_of_stream(void **state)
{
	struct fixture *f = *state;

	com1(f, "Kernel panic - not syncing: VFS: Unable to mount root fs\nRebooting in");
	assert_int_equal(f->c.pieces[IPC_TEXT_KERNEL_PANIC], 0);
	serial_parser_finish(&f->p);
	assert_int_equal(f->c.pieces[IPC_TEXT_KERNEL_PANIC], 1);
	assert_non_null(strstr(f->c.text[IPC_TEXT_KERNEL_PANIC], "Unable to mount root fs\nRebooting in\n"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_line_values),
		T(test_exit_split_across_writes),
		T(test_init_start_once),
		T(test_result_block),
		T(test_panic_block_ends_at_blank_or_ktstr_line),
		T(test_panic_block_capped),
		T(test_long_lines_bounded),
		T(test_binary_garbage),
		T(test_unterminated_result_reported),
		T(test_kernel_panic_on_com1_with_history),
		T(test_kernel_panic_cut_at_end_of_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
