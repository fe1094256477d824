// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening a target's ELF file (through its root) and walking its notes: shared by symbols and USDT. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "elffile.h"

int elf_file_open(const char *root, const char *path, int *fd, Elf **elf)
{
	char full[PATH_MAX];

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	*fd = open(full, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return -ENOEXEC;
	}
	return 0;
}

void elf_file_close(int fd, Elf *elf)
{
	elf_end(elf);
	close(fd);
}

bool elf_file_notes(Elf *elf, unsigned int type, const char *owner, elf_note_fn fn, void *ctx)
{
	size_t owner_len = strlen(owner) + 1;
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
		/* gelf_getnote checks that name and descriptor lie within the section */
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0)
			if (nh.n_type == type && nh.n_namesz == owner_len &&
			    !memcmp((char *)data->d_buf + name_off, owner, owner_len) &&
			    fn((const unsigned char *)data->d_buf + desc_off, nh.n_descsz, ctx))
				return true;
	}
	return false;
}
