/* SHA-256 against the FIPS 180-4 example vectors, fed whole and byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "initgen/sha256.h"

static void digest_of(const char *msg, size_t len, size_t step, char hex[SHA256_HEX_LEN])
{
	struct sha256 s;
	uint8_t d[SHA256_LEN];

	sha256_init(&s);
	for (size_t off = 0; off < len; off += step)
		sha256_update(&s, msg + off, len - off < step ? len - off : step);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

static void test_vectors(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[SHA256_HEX_LEN];

	(void)state;
	digest_of("", 0, 1, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	for (size_t step = 1; step <= 3; step += 2) {
		digest_of("abc", 3, step, hex);
		assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		digest_of(two_blocks, sizeof(two_blocks) - 1, step, hex);
		assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

static void test_million_a(void **state)
{
	static char a[1000000];
	char hex[SHA256_HEX_LEN];

	(void)state;
	memset(a, 'a', sizeof(a));
	digest_of(a, sizeof(a), 4099, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
