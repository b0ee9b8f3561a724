/* libFuzzer target: initgen's executable inspection (libelf on a whole file, "#!" lines) on
 * arbitrary bytes, seeded with a real ELF header when the input is long enough to hold one.
 * It may refuse anything; it must never crash, and what it returns must pass the same
 * validator vmm applies to the DEPS message. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initgen/elf_deps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_initgen_deps d;
	struct kerr err = { 0 };
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	/* Half the inputs get a valid x86-64 ELF identity, so libelf gets past the magic. */
	if (size >= sizeof(Elf64_Ehdr) && (data[0] & 1)) {
		static const unsigned char ident[] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT };

		memcpy(copy, ident, sizeof(ident));
		((Elf64_Ehdr *)(void *)copy)->e_machine = EM_X86_64;
	}
	if (elf_deps_read("fuzz", copy, size, &d, &err) == 0) {
		struct ipc_hdr h = { IPC_MAGIC, IPC_VERSION, IPC_MSG_INITGEN_DEPS, sizeof(d), 0 };
		uint8_t buf[sizeof(h) + sizeof(d)];
		struct ipc_msg m;

		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &d, sizeof(d));
		if (ipc_msg_decode(buf, sizeof(buf), NULL, 0, &m, &err) < 0)
			abort();   /* initgen would answer something vmm refuses */
	}
	free(copy);
	return 0;
}
