// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening a target's ELF file (through its root) and walking its notes: shared by symbols and USDT. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "target/elffile.h"

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

size_t elf_file_symbols(Elf *elf, struct elf_symbol *syms, size_t n)
{
	Elf_Scn *scn = NULL;
	size_t found = 0;
	GElf_Shdr sh;

	while (found < n && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || (sh.sh_flags & SHF_COMPRESSED))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < data->d_size / sh.sh_entsize && found < n; i++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);	/* bounds-checked */
			for (size_t k = 0; name && k < n; k++)
				if (!syms[k].found && !strcmp(name, syms[k].name)) {
					syms[k].value = sym.st_value;
					syms[k].size = sym.st_size;
					syms[k].found = true;
					found++;
				}
		}
	}
	return found;
}

/* The file offset a virtual address is loaded from (by the PT_LOAD holding it): 0 or -ENOENT. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *offset)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*offset = ph.p_offset + (vaddr - ph.p_vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

size_t elf_file_functions_with(Elf *elf, const char *part, elf_symbol_fn fn, void *ctx)
{
	size_t n = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    (sh.sh_flags & SHF_COMPRESSED))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < data->d_size / sh.sh_entsize; i++) {
			const char *name;
			uint64_t offset;
			GElf_Sym sym;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);	/* bounds-checked */
			if (!name || !strstr(name, part) || vaddr_to_offset(elf, sym.st_value, &offset))
				continue;
			n++;
			if (!fn(name, offset, ctx))
				return n;
		}
	}
	return n;
}

int elf_file_offset_to_vaddr(Elf *elf, uint64_t offset, uint64_t *vaddr)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (offset >= ph.p_offset && offset - ph.p_offset < ph.p_filesz) {
			*vaddr = ph.p_vaddr + (offset - ph.p_offset);
			return 0;
		}
	}
	return -ENOENT;
}
