/* The SPSC byte ring: wrap-around, full and empty, attach checks, and a hostile peer's
 * impossible indices refused instead of followed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc/ipc.h"

struct ends {
	struct ipc_ring prod, cons;
};

/* A producer and a consumer mapping the same ring, as in two processes. */
static void ends_open(struct ends *e, uint32_t cap)
{
	struct kerr err;

	assert_int_equal(ipc_ring_create(&e->prod, cap, &err), 0);
	assert_int_equal(ipc_ring_attach(&e->cons, dup(e->prod.memfd), dup(e->prod.data_bell),
					 dup(e->prod.space_bell), cap, &err), 0);
}

static void ends_close(struct ends *e)
{
	ipc_ring_destroy(&e->prod);
	ipc_ring_destroy(&e->cons);
}

static void test_wrap_around(void **state)
{
	struct ends e;
	unsigned char in[100], out[100];
	uint32_t total = 0;

	(void)state;
	ends_open(&e, 128);
	for (int round = 0; round < 50; round++) {
		for (unsigned i = 0; i < sizeof(in); i++)
			in[i] = (unsigned char)(total + i);
		assert_int_equal(ipc_ring_write(&e.prod, in, 77), 77);
		memset(out, 0, sizeof(out));
		assert_int_equal(ipc_ring_read(&e.cons, out, sizeof(out)), 77);
		assert_memory_equal(in, out, 77);
		total += 77;
	}
	assert_true(e.prod.index > 128 * 20);  /* the indices went round many times */
	ends_close(&e);
}

static void test_full_and_empty(void **state)
{
	struct ends e;
	char buf[256];

	(void)state;
	ends_open(&e, 64);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ipc_ring_write(&e.prod, buf, 100), 64);   /* only what fits */
	assert_int_equal(ipc_ring_write(&e.prod, buf, 1), 0);      /* full */
	assert_int_equal(ipc_ring_wait_space(&e.prod, 0), 0);      /* and no room comes */
	assert_int_equal(ipc_ring_read(&e.cons, buf, 10), 10);
	assert_int_equal(ipc_ring_wait_space(&e.prod, 0), 1);
	assert_int_equal(ipc_ring_write(&e.prod, buf, 20), 10);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), 64);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), 0);
	ends_close(&e);
}

static void test_bells(void **state)
{
	struct pollfd p;
	struct ends e;
	char buf[64];

	(void)state;
	ends_open(&e, 64);
	p = (struct pollfd){ .fd = e.cons.data_bell, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(ipc_ring_write(&e.prod, "hi", 2), 2);
	assert_int_equal(poll(&p, 1, 0), 1);           /* the consumer is woken */
	ipc_bell_ack(e.cons.data_bell);
	assert_int_equal(poll(&p, 1, 0), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ipc_ring_write(&e.prod, buf, 62), 62);
	/* A producer waiting for room is woken by the read that makes it. */
	atomic_store(&e.prod.sh->producer_waiting, 1);
	assert_int_equal(ipc_ring_read(&e.cons, buf, 8), 8);
	p = (struct pollfd){ .fd = e.prod.space_bell, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 1);
	ends_close(&e);
}

static void test_hostile_producer_index(void **state)
{
	struct ends e;
	char buf[256];

	(void)state;
	ends_open(&e, 64);
	/* The producer claims more bytes than the ring holds. */
	atomic_store(&e.prod.sh->head, 65);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), -EPROTO);
	/* Or an index behind the consumer's own (which wraps to a huge count). */
	atomic_store(&e.prod.sh->head, 0xfffffff0u);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), -EPROTO);
	/* The consumer's index is its own: scribbling the shared tail does not move it. */
	atomic_store(&e.prod.sh->head, 4);
	atomic_store(&e.prod.sh->tail, 1000);
	memcpy(e.prod.sh->data, "abcd", 4);
	assert_int_equal(ipc_ring_read(&e.cons, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "abcd", 4);
	ends_close(&e);
}

static void test_hostile_consumer_index(void **state)
{
	struct ends e;

	(void)state;
	ends_open(&e, 64);
	atomic_store(&e.cons.sh->tail, 100);   /* ahead of anything ever written */
	assert_int_equal(ipc_ring_write(&e.prod, "x", 1), -EPROTO);
	assert_int_equal(ipc_ring_wait_space(&e.prod, 0), -EPROTO);
	ends_close(&e);
}

static void test_attach_checks(void **state)
{
	struct ipc_ring r;
	struct kerr err;
	int fd;

	(void)state;
	/* An unsealed memfd could be shrunk under us: refused. */
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(ipc_ring_attach(&r, fd, dup(0), dup(0), 1024, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "sealed"));
	/* Sealed but too small for the capacity claimed: refused. */
	fd = memfd_create("small", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(fd, 256), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	assert_int_equal(ipc_ring_attach(&r, fd, dup(0), dup(0), 1024, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "too small"));
	/* Capacities that are not powers of two: refused at create. */
	assert_int_equal(ipc_ring_create(&r, 100, &err), -EINVAL);
	assert_int_equal(ipc_ring_create(&r, 32, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_full_and_empty),
		cmocka_unit_test(test_bells),
		cmocka_unit_test(test_hostile_producer_index),
		cmocka_unit_test(test_hostile_consumer_index),
		cmocka_unit_test(test_attach_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
