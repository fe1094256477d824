// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Whether an ELF file carries USDT probes of a provider: SystemTap's NT_STAPSDT notes hold three
 * addresses, then "provider\0name\0args\0". The file is the target's: every size is checked.
 */
#include <string.h>
#include "target/elffile.h"
#include "capture/usdt.h"

#define NT_STAPSDT 3

struct provider {
	const char *name;
	size_t addr_size;
};

static bool names_provider(const unsigned char *desc, size_t len, void *ctx)
{
	const struct provider *p = ctx;
	size_t plen = strlen(p->name);

	if (len < 3 * p->addr_size + plen + 1)
		return false;
	desc += 3 * p->addr_size;
	return !memcmp(desc, p->name, plen) && desc[plen] == '\0';
}

bool elf_has_usdt_provider(const char *root, const char *path, const char *provider)
{
	struct provider p = { .name = provider };
	bool found;
	Elf *elf;
	int fd;

	if (elf_file_open(root, path, &fd, &elf))
		return false;
	p.addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	found = elf_file_notes(elf, NT_STAPSDT, "stapsdt", names_provider, &p);
	elf_file_close(fd, elf);
	return found;
}
