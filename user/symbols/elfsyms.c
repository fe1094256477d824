// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Function symbols of one ELF file with libelf. The file belongs to the target and may be
 * hostile: every size and index is checked by gelf_* or here, never trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/elffile.h"
#include "symbols/elfsyms.h"
#include "base/vec.h"

#define MAX_SYMBOLS	(4u << 20)	/* more than any real binary; bounds memory on a hostile one */
#define MAX_SYMTAB_BYTES ((uint64_t)MAX_SYMBOLS * sizeof(Elf64_Sym))
#define MAX_BUILD_ID	64

struct sym {
	uint64_t addr, size;
	uint64_t end;		/* addr + size; for an unsized symbol, the end of its section */
	const char *name;	/* into names */
	int global;
};

struct segment {
	uint64_t offset, vaddr, filesz;
};

struct elf_syms {
	struct sym *syms;
	size_t n, cap;
	char *names;		/* all names, NUL-separated */
	size_t names_len, names_cap;
	struct segment *segs;
	size_t nsegs;
	char build_id[2 * MAX_BUILD_ID + 1];
};

static int add_name(struct elf_syms *s, const char *name, size_t namelen, size_t *at)
{
	size_t len = namelen + 1;

	if (s->names_len + len > s->names_cap) {
		char *p = vec__reserve(s->names, &s->names_cap, s->names_len + len, 1);

		if (!p)
			return -ENOMEM;
		s->names = p;
	}
	memcpy(s->names + s->names_len, name, namelen);
	s->names[s->names_len + namelen] = '\0';
	*at = s->names_len;
	s->names_len += len;
	return 0;
}

/*
 * Section data, decompressed when SHF_COMPRESSED (debug files often are). libelf allocates the
 * size the compression header claims, up to 1032 times the section's: a small hostile file would
 * make us allocate and fill gigabytes, so claims past any real symbol table are refused.
 */
static Elf_Data *section_data(Elf_Scn *scn, GElf_Shdr *sh)
{
	GElf_Chdr ch;

	if ((sh->sh_flags & SHF_COMPRESSED) &&
	    (!gelf_getchdr(scn, &ch) || ch.ch_size > MAX_SYMTAB_BYTES || elf_compress(scn, 0, 0) < 0))
		return NULL;
	if (!gelf_getshdr(scn, sh))
		return NULL;
	return elf_getdata(scn, NULL);
}

/*
 * An unsized symbol (_init, hand-written assembly) covers up to the end of its section, not
 * beyond: otherwise _init would claim the PLT stubs that follow it.
 */
static uint64_t symbol_end(Elf *elf, const GElf_Sym *sym)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (sym->st_size)
		return sym->st_value + sym->st_size;
	if (sym->st_shndx >= SHN_LORESERVE || !(scn = elf_getscn(elf, sym->st_shndx)) ||
	    !gelf_getshdr(scn, &sh) || sym->st_value < sh.sh_addr)
		return sym->st_value;
	return sh.sh_addr + sh.sh_size;
}

static int load_symtab(struct elf_syms *s, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = section_data(scn, sh);
	size_t count, i;

	if (!data || sh->sh_entsize == 0)
		return 0;
	count = data->d_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		size_t at;
		int type;

		if (!gelf_getsym(data, i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);	/* bounds-checked by libelf */
		if (!name || !*name || *name == '@')
			continue;
		if (s->n >= MAX_SYMBOLS)
			return -E2BIG;
		if (VEC_GROW(s->syms, s->n, s->cap))
			return -ENOMEM;
		/* "memcpy@@GLIBC_2.14": the version says nothing about where the time went */
		if (add_name(s, name, strcspn(name, "@"), &at))
			return -ENOMEM;
		s->syms[s->n++] = (struct sym){
			.addr = sym.st_value,
			.size = sym.st_size,
			.end = symbol_end(elf, &sym),
			.name = (const char *)(uintptr_t)at,	/* offset until names stops moving */
			.global = GELF_ST_BIND(sym.st_info) != STB_LOCAL,
		};
	}
	return 0;
}

/* Loads .symtab (or, with dynsym set, .dynsym); returns how many sections were found or -errno. */
static int load_symbols(struct elf_syms *s, Elf *elf, int dynsym)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int found = 0, err;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != (dynsym ? SHT_DYNSYM : SHT_SYMTAB))
			continue;
		err = load_symtab(s, elf, scn, &sh);
		if (err)
			return err;
		found++;
	}
	return found;
}

static void load_segments(struct elf_syms *s, Elf *elf)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n) || !n)
		return;
	s->segs = calloc(n, sizeof(*s->segs));
	if (!s->segs)
		return;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		s->segs[s->nsegs++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
}

static bool take_build_id(const unsigned char *desc, size_t len, void *ctx)
{
	char *hex = ctx;

	if (!len || len > MAX_BUILD_ID)
		return false;
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", desc[i]);
	return true;
}

static void load_build_id(struct elf_syms *s, Elf *elf)
{
	elf_file_notes(elf, NT_GNU_BUILD_ID, "GNU", take_build_id, s->build_id);
}

static const char *debuglink(Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			return NULL;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		/* a NUL-terminated file name, then padding and a CRC */
		if (!data || !data->d_buf || !memchr(data->d_buf, '\0', data->d_size))
			return NULL;
		name = data->d_buf;
		return *name && !strchr(name, '/') ? name : NULL;
	}
	return NULL;
}

#define MAX_CANDIDATES 4

/* Appends a candidate path unless it does not fit: a truncated path would name another file. */
__attribute__((format(printf, 3, 4)))
static void add_candidate(char cand[][PATH_MAX], int *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(cand[*n], PATH_MAX, fmt, ap);
	va_end(ap);
	if (len > 0 && len < PATH_MAX)
		(*n)++;
}

/* The separate debug file's .symtab, found the way gdb and perf look for it. */
static void load_debug_file(struct elf_syms *s, const char *root, const char *path,
			    const char *debug_root, const char *link)
{
	char cand[MAX_CANDIDATES][PATH_MAX], dir[PATH_MAX];
	int ncand = 0;

	if (!debug_root)
		return;
	if (strlen(s->build_id) > 2)
		add_candidate(cand, &ncand, "%s/.build-id/%.2s/%s.debug", debug_root, s->build_id,
			      s->build_id + 2);
	if (link && strlen(path) < sizeof(dir)) {
		strcpy(dir, path);
		dirname(dir);
		add_candidate(cand, &ncand, "%s/%s", dir, link);
		add_candidate(cand, &ncand, "%s/.debug/%s", dir, link);
		add_candidate(cand, &ncand, "%s%s/%s", debug_root, dir, link);
	}
	for (int i = 0; i < ncand; i++) {
		Elf *elf;
		int fd;

		if (!strcmp(cand[i], path) || elf_file_open(root, cand[i], &fd, &elf))
			continue;
		int found = load_symbols(s, elf, 0);

		elf_file_close(fd, elf);
		if (found > 0)
			return;
	}
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return (x->addr > y->addr) - (x->addr < y->addr);
	/* among aliases prefer the global name, then the one with a size */
	if (x->global != y->global)
		return y->global - x->global;
	return (y->size > x->size) - (y->size < x->size);
}

struct elf_syms *elf_syms__open(const char *root, const char *path, const char *debug_root)
{
	struct elf_syms *s;
	int fd, err, found;
	Elf *elf;

	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	err = elf_file_open(root, path, &fd, &elf);
	if (err)
		goto fail;
	load_segments(s, elf);
	load_build_id(s, elf);
	found = load_symbols(s, elf, 0);
	if (found == 0)
		load_debug_file(s, root, path, debug_root, debuglink(elf));
	if (found >= 0)
		found = load_symbols(s, elf, 1);
	elf_file_close(fd, elf);
	if (found < 0) {
		err = found;
		goto fail;
	}

	/* names stopped moving: turn offsets into pointers, sort, drop exact duplicates */
	for (size_t i = 0; i < s->n; i++)
		s->syms[i].name = s->names + (uintptr_t)s->syms[i].name;
	if (s->n)	/* no symbols: syms is NULL, which qsort must not get even for 0 items */
		qsort(s->syms, s->n, sizeof(*s->syms), cmp_sym);
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (j && s->syms[j - 1].addr == s->syms[i].addr)
			continue;	/* alias, or the .dynsym copy of a .symtab entry */
		s->syms[j++] = s->syms[i];
	}
	s->n = j;
	return s;
fail:
	elf_syms__free(s);
	errno = -err;
	return NULL;
}

void elf_syms__free(struct elf_syms *s)
{
	if (!s)
		return;
	free(s->syms);
	free(s->names);
	free(s->segs);
	free(s);
}

int elf_syms__offset_to_vaddr(const struct elf_syms *s, uint64_t offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < s->nsegs; i++) {
		const struct segment *g = &s->segs[i];

		if (offset >= g->offset && offset - g->offset < g->filesz) {
			*vaddr = offset - g->offset + g->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

const char *elf_syms__lookup(const struct elf_syms *s, uint64_t vaddr, uint64_t *off)
{
	size_t lo = 0, hi = s->n;
	const struct sym *sym;

	/* last symbol with addr <= vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	sym = &s->syms[lo - 1];
	if (vaddr >= sym->end)
		return NULL;
	*off = vaddr - sym->addr;
	return sym->name;
}

const char *elf_syms__build_id(const struct elf_syms *s)
{
	return s->build_id;
}

size_t elf_syms__count(const struct elf_syms *s)
{
	return s->n;
}
