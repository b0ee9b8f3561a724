/* The e2e suite's dynamically linked payload (zlib, libc): packed by ktstr-vmm's own
 * initgen with its libraries, it proves they arrived and work. Reports in a COM2 result
 * block: zlib round trip, its argv, whether /dev/vda (virtio-blk, whose driver is a module
 * on Debian's kernel) exists, and whether the kernel was told to retain the initrd. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static int cmdline_has(const char *word)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n = f ? fread(line, 1, sizeof(line) - 1, f) : 0;

	if (f)
		fclose(f);
	line[n] = '\0';
	for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n"))
		if (strcmp(t, word) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const char text[] = "ktstr-vmm packs the payload's shared libraries";
	unsigned char packed[256], unpacked[256];
	uLongf plen = sizeof(packed), ulen = sizeof(unpacked);
	FILE *com2 = fopen("/dev/ttyS1", "w");
	struct stat st;
	int ok;

	if (!com2)
		return 2;
	ok = compress(packed, &plen, (const Bytef *)text, sizeof(text)) == Z_OK &&
	     uncompress(unpacked, &ulen, packed, plen) == Z_OK && ulen == sizeof(text) &&
	     memcmp(unpacked, text, ulen) == 0;
	fprintf(com2, "===KTSTR_TEST_RESULT_START===\nzlib=%s version=%s\nargs=", ok ? "ok" : "broken",
		zlibVersion());
	for (int i = 1; i < argc; i++)
		fprintf(com2, "%s%s", argv[i], i + 1 < argc ? "|" : "");
	fprintf(com2, "\nvda=%s\nretain_initrd=%s\n===KTSTR_TEST_RESULT_END===\n",
		stat("/dev/vda", &st) == 0 && S_ISBLK(st.st_mode) ? "yes" : "no",
		cmdline_has("retain_initrd") ? "yes" : "no");
	fclose(com2);
	return ok ? 0 : 1;
}
