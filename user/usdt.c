// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Whether an ELF file carries USDT probes of a provider: SystemTap's NT_STAPSDT notes hold three
 * addresses, then "provider\0name\0args\0". The file is the target's: every size is checked.
 */
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "usdt.h"

#define NT_STAPSDT 3

static bool note_names_provider(const char *desc, size_t len, size_t addr_size, const char *provider)
{
	size_t plen = strlen(provider);

	if (len < 3 * addr_size + plen + 1)
		return false;
	desc += 3 * addr_size;
	return !memcmp(desc, provider, plen) && desc[plen] == '\0';
}

static bool scan_notes(Elf *elf, const char *provider)
{
	size_t addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		size_t off = 0, name_off, desc_off;
		Elf_Data *data;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_STAPSDT && nh.n_namesz == 8 &&
			    !memcmp((char *)data->d_buf + name_off, "stapsdt", 8) &&
			    note_names_provider((char *)data->d_buf + desc_off, nh.n_descsz, addr_size, provider))
				return true;
		}
	}
	return false;
}

bool elf_has_usdt_provider(const char *root, const char *path, const char *provider)
{
	char full[PATH_MAX];
	bool found = false;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE ||
	    snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return false;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		found = scan_notes(elf, provider);
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}
