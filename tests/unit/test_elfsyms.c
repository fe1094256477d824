// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of elfsyms.c on libraries the test builds: symbols, debug files, bad files. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "symbols/elfsyms.h"
#include "helpers.h"
#include "target/procmaps.h"
#include "base/util.h"

#define GLOBAL_FN "agentprof_global_fn"
#define LOCAL_FN "agentprof_local_fn"

static char *dir, *lib;
static void *handle;
static struct elf_syms *syms;
/* runtime addresses of the two functions in the dlopen'ed fixture */
static uint64_t global_addr, local_addr;

static void setup(void)
{
	dir = scratch_dir();
	lib = build_fixture(dir, "libfixture.so", "-Wl,--build-id");
}

static void teardown(void)
{
	elf_syms__free(syms);
	if (handle)
		dlclose(handle);
	free(lib);
	scratch_remove(dir);
}

TestSuite(elfsyms, .init = setup, .fini = teardown);
TestSuite(elfsyms_hostile, .init = setup, .fini = teardown);

static void load_fixture(void)
{
	void *(*local_addr_fn)(void);

	handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(handle, "dlopen: %s", dlerror());
	global_addr = (uint64_t)(uintptr_t)dlsym(handle, GLOBAL_FN);
	*(void **)&local_addr_fn = dlsym(handle, "agentprof_local_addr");
	cr_assert_neq(global_addr, 0);
	cr_assert_not_null(local_addr_fn);
	local_addr = (uint64_t)(uintptr_t)local_addr_fn();
}

static void open_syms(const char *path)
{
	syms = elf_syms__open("", path, "/nonexistent");
	cr_assert_not_null(syms, "elf_syms__open %s: %s", path, strerror(errno));
}

/* The ELF address of a runtime address, found the profiler's way: maps -> file offset -> vaddr. */
static uint64_t vaddr_of(uint64_t addr)
{
	struct proc_maps maps;
	const struct map_entry *m;
	struct link_map *lm;
	uint64_t vaddr = 0;

	cr_assert_eq(proc_maps__read(getpid(), &maps), 0);
	m = proc_maps__find(&maps, addr);
	cr_assert_not_null(m);
	cr_assert_str_eq(m->path, lib);
	cr_assert_eq(elf_syms__offset_to_vaddr(syms, addr - m->start + m->offset, &vaddr), 0);
	proc_maps__free(&maps);
	/* the dynamic linker's load bias says the same */
	cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &lm), 0);
	cr_assert_eq(vaddr, addr - lm->l_addr);
	return vaddr;
}

static const char *name_of(uint64_t addr, uint64_t *off)
{
	*off = UINT64_MAX;
	return elf_syms__lookup(syms, vaddr_of(addr), off);
}

Test(elfsyms, resolves_global_and_static_functions)
{
	uint64_t off;

	load_fixture();
	open_syms(lib);
	/* agentprof_local_alias has the same address: the global name wins */
	cr_assert_str_eq(name_of(global_addr, &off), GLOBAL_FN);
	cr_assert_eq(off, 0);
	cr_assert_str_eq(name_of(local_addr, &off), LOCAL_FN);
	cr_assert_eq(off, 0);
	cr_assert_str_eq(name_of(global_addr + 5, &off), GLOBAL_FN);
	cr_assert_eq(off, 5);
}

Test(elfsyms, build_id_matches_readelf)
{
	const char *id;
	char *want;

	open_syms(lib);
	id = elf_syms__build_id(syms);
	cr_assert_eq(strlen(id), 40);
	cr_assert_eq(strspn(id, "0123456789abcdef"), 40, "%s", id);
	want = run_output("readelf -n '%s' | sed -n 's/^ *Build ID: *//p' | tr -d '\\n'", lib);
	cr_assert_str_eq(id, want);
	free(want);
}

Test(elfsyms, no_build_id_gives_empty_string)
{
	char *plain = build_fixture(dir, "libplain.so", "-Wl,--build-id=none");

	open_syms(plain);
	cr_assert_str_eq(elf_syms__build_id(syms), "");
	free(plain);
}

Test(elfsyms, offset_outside_every_segment_is_enoent)
{
	uint64_t vaddr = 12345;

	open_syms(lib);
	cr_assert_eq(elf_syms__offset_to_vaddr(syms, 1ull << 40, &vaddr), -ENOENT);
	cr_assert_eq(vaddr, 12345);
}

Test(elfsyms, stripped_library_still_names_exported_functions)
{
	uint64_t off;

	cr_assert_eq(run("strip --strip-all '%s'", lib), 0);
	load_fixture();
	open_syms(lib);
	cr_assert_str_eq(name_of(global_addr, &off), GLOBAL_FN);
	cr_assert_eq(off, 0);
	/* only .symtab knew the static function: better no name than a neighbour's */
	cr_assert_null(name_of(local_addr, &off));
}

static void split_debug(const char *debug_path)
{
	cr_assert_eq(run("objcopy --only-keep-debug '%s' '%s' && strip --strip-all '%s' && "
			 "cd '%s' && objcopy --add-gnu-debuglink=libfixture.so.debug '%s'",
			 lib, debug_path, lib, dir, lib), 0);
}

Test(elfsyms, debuglink_next_to_the_library_restores_static_functions)
{
	char *debug = path_in(dir, "libfixture.so.debug");
	uint64_t off;

	split_debug(debug);
	load_fixture();
	open_syms(lib);
	cr_assert_str_eq(name_of(local_addr, &off), LOCAL_FN);
	cr_assert_eq(off, 0);
	cr_assert_str_eq(name_of(global_addr, &off), GLOBAL_FN);
	free(debug);
}

Test(elfsyms, debuglink_in_dot_debug_directory_is_found)
{
	char *debug = path_in(dir, "libfixture.so.debug");
	uint64_t off;

	split_debug(debug);
	cr_assert_eq(run("mkdir '%s/.debug' && mv '%s' '%s/.debug/'", dir, debug, dir), 0);
	load_fixture();
	open_syms(lib);
	cr_assert_str_eq(name_of(local_addr, &off), LOCAL_FN);
	free(debug);
}

Test(elfsyms, debuglink_without_the_debug_file_gives_dynsym_only)
{
	char *debug = path_in(dir, "libfixture.so.debug");
	uint64_t off;

	split_debug(debug);
	cr_assert_eq(unlink(debug), 0);
	load_fixture();
	open_syms(lib);
	cr_assert_null(name_of(local_addr, &off));
	cr_assert_str_eq(name_of(global_addr, &off), GLOBAL_FN);
	free(debug);
}

Test(elfsyms, debug_file_found_by_build_id_under_debug_root)
{
	char *debug = path_in(dir, "plain.debug");
	const char *id;
	uint64_t off;

	cr_assert_eq(run("objcopy --only-keep-debug '%s' '%s' && strip --strip-all '%s'",
			 lib, debug, lib), 0);
	load_fixture();
	open_syms(lib);
	cr_assert_null(name_of(local_addr, &off), "no debuglink, no debug root: no static names");
	id = elf_syms__build_id(syms);
	cr_assert_eq(run("mkdir -p '%s/root/.build-id/%.2s' && mv '%s' '%s/root/.build-id/%.2s/%s.debug'",
			 dir, id, debug, dir, id, id + 2), 0);
	elf_syms__free(syms);
	free(debug);
	cr_assert_neq(asprintf(&debug, "%s/root", dir), -1);
	syms = elf_syms__open("", lib, debug);
	cr_assert_not_null(syms);
	cr_assert_str_eq(name_of(local_addr, &off), LOCAL_FN);
	free(debug);
}

static uint64_t hex_output(const char *cmd)
{
	char *out = run_output("%s", cmd), *end;
	uint64_t v = strtoull(out, &end, 16);

	cr_assert(end != out && *end == '\n', "%s: \"%s\"", cmd, out);
	free(out);
	return v;
}

Test(elfsyms, unsized_symbol_ends_with_its_section)
{
	char cmd[1024];
	uint64_t init, plt, off;

	snprintf(cmd, sizeof(cmd), "nm '%s' | sed -n 's/^\\([0-9a-f]*\\) t _init$/\\1/p'", lib);
	init = hex_output(cmd);
	snprintf(cmd, sizeof(cmd),
		 "readelf -SW '%s' | sed -n 's/.*] \\.plt  *PROGBITS  *\\([0-9a-f]*\\) .*/\\1/p'", lib);
	plt = hex_output(cmd);
	cr_assert_gt(plt, init);
	open_syms(lib);
	cr_assert_str_eq(elf_syms__lookup(syms, init, &off), "_init");
	cr_assert_str_eq(elf_syms__lookup(syms, init + 4, &off), "_init");
	cr_assert_eq(off, 4);
	/* time in the rand@plt stub is not time in _init */
	cr_assert_null(elf_syms__lookup(syms, plt, &off));
	cr_assert_null(elf_syms__lookup(syms, plt + 0x10, &off));
}

Test(elfsyms, missing_file_fails_with_enoent)
{
	errno = 0;
	cr_assert_null(elf_syms__open("", "/nonexistent/lib.so", "/nonexistent"));
	cr_assert_eq(errno, ENOENT);
}

Test(elfsyms, root_prefixes_the_path)
{
	char *name = lib + strlen(dir);	/* "/libfixture.so" */

	syms = elf_syms__open(dir, name, "/nonexistent");
	cr_assert_not_null(syms, "%s", strerror(errno));
	cr_assert_gt(elf_syms__count(syms), 0);
}

/* Hostile files: not an ELF, or a broken one. NULL with errno, or an object that answers safely. */

static void write_file_bytes(const char *name, const void *data, size_t len, char **path)
{
	*path = path_in(dir, name);
	write_bytes(*path, data, len);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	char *buf;
	ssize_t n = read_file(path, 1 << 24, &buf);

	cr_assert_gt(n, 0);
	*len = n;
	return (unsigned char *)buf;
}

/* Opens path and, when that works, exercises every query: nothing may crash or read wildly. */
static struct elf_syms *open_hostile(const char *path)
{
	struct elf_syms *s;
	uint64_t vaddr, off;

	errno = 0;
	s = elf_syms__open("", path, dir);
	if (!s) {
		cr_assert_neq(errno, 0, "NULL without errno");
		return NULL;
	}
	cr_assert_leq(strlen(elf_syms__build_id(s)), 128);
	for (uint64_t a = 0; a < 0x4000; a += 0x10) {
		if (!elf_syms__offset_to_vaddr(s, a, &vaddr))
			elf_syms__lookup(s, vaddr, &off);
		elf_syms__lookup(s, a, &off);
	}
	elf_syms__lookup(s, UINT64_MAX, &off);
	return s;
}

static void assert_not_elf(const void *data, size_t len)
{
	char *path;

	write_file_bytes("hostile", data, len, &path);
	errno = 0;
	cr_assert_null(elf_syms__open("", path, "/nonexistent"));
	cr_assert_eq(errno, ENOEXEC);
	free(path);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(elfsyms_hostile, random_bytes_and_empty_file_are_not_elf)
{
	unsigned char data[4096];
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = xorshift(&seed);
	data[0] = 0;	/* not "\x7fELF" by chance */
	assert_not_elf(data, sizeof(data));
	assert_not_elf("", 0);
	assert_not_elf("#!/bin/sh\necho hi\n", 18);
}

Test(elfsyms_hostile, elf_magic_followed_by_random_bytes)
{
	unsigned char data[4096];
	uint64_t seed = 0x2545f4914f6cdd1dull;
	char *path = path_in(dir, "hostile");

	for (int round = 0; round < 64; round++) {
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = xorshift(&seed);
		memcpy(data, "\x7f" "ELF\x02\x01\x01", 7);
		write_bytes(path, data, sizeof(data));
		elf_syms__free(open_hostile(path));
	}
	free(path);
}

Test(elfsyms_hostile, truncated_library_has_no_symbols)
{
	unsigned char *data;
	size_t len, cuts[3];
	char *path = path_in(dir, "truncated");

	data = slurp(lib, &len);
	cuts[0] = 200, cuts[1] = len / 2, cuts[2] = len - 1;
	for (size_t i = 0; i < 3; i++) {
		struct elf_syms *s;

		write_bytes(path, data, cuts[i]);
		s = open_hostile(path);
		/* section headers come last: a cut file has none to trust */
		if (s)
			cr_assert_eq(elf_syms__count(s), 0, "cut at %zu", cuts[i]);
		elf_syms__free(s);
	}
	free(data);
	free(path);
}

Test(elfsyms_hostile, section_headers_past_the_end)
{
	static const int64_t past[] = { 0x1000, 0, -10, -1 };
	unsigned char *data;
	size_t len;
	char *path = path_in(dir, "shoff");

	data = slurp(lib, &len);
	for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		struct elf_syms *s;
		Elf64_Ehdr *eh = (Elf64_Ehdr *)data;

		eh->e_shoff = len + past[i];
		write_bytes(path, data, len);
		s = open_hostile(path);
		if (s)
			cr_assert_eq(elf_syms__count(s), 0, "e_shoff = size%+lld", (long long)past[i]);
		elf_syms__free(s);
	}
	free(data);
	free(path);
}

/* Every section header field of a real library set to hostile values, one at a time. */
Test(elfsyms_hostile, corrupted_section_headers)
{
	static const uint64_t values[] = { 0, 1, 0x7fffffff, UINT64_MAX, UINT64_MAX / 2 };
	unsigned char *data, *copy;
	size_t len;
	char *path = path_in(dir, "shdr");
	Elf64_Ehdr *eh;

	data = slurp(lib, &len);
	copy = malloc(len);
	cr_assert_not_null(copy);
	eh = (Elf64_Ehdr *)data;
	cr_assert_leq(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len);
	for (size_t sec = 0; sec < eh->e_shnum; sec++) {
		for (size_t field = 0; field < 6; field++) {
			for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				Elf64_Shdr *sh;

				memcpy(copy, data, len);
				sh = (Elf64_Shdr *)(copy + eh->e_shoff) + sec;
				switch (field) {
				case 0: sh->sh_offset = values[v]; break;
				case 1: sh->sh_size = values[v]; break;
				case 2: sh->sh_link = values[v]; break;
				case 3: sh->sh_entsize = values[v]; break;
				case 4: sh->sh_name = values[v]; break;
				case 5: sh->sh_flags = values[v]; break;
				}
				write_bytes(path, copy, len);
				elf_syms__free(open_hostile(path));
			}
		}
	}
	free(copy);
	free(data);
	free(path);
}

/*
 * Replaces the .symtab of the ELF at path by a zlib stream (SHF_COMPRESSED) of its contents
 * followed by pad zero bytes: the decompressed size a hostile file can claim for a few kB.
 */
static void compress_symtab(const char *path, size_t pad)
{
	static const unsigned char zeroes[1 << 16];
	unsigned char *data, *out = NULL;
	size_t len, cap = 1 << 20, at, left = pad;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh = NULL;
	Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_addralign = 8 };
	z_stream z = { 0 };
	FILE *f;

	data = slurp(path, &len);
	eh = (Elf64_Ehdr *)data;
	for (size_t i = 0; i < eh->e_shnum; i++)
		if (((Elf64_Shdr *)(data + eh->e_shoff))[i].sh_type == SHT_SYMTAB)
			sh = (Elf64_Shdr *)(data + eh->e_shoff) + i;
	cr_assert_not_null(sh);
	ch.ch_size = sh->sh_size + pad;
	cr_assert_eq(deflateInit(&z, Z_BEST_SPEED), Z_OK);
	out = malloc(cap);
	cr_assert_not_null(out);
	z.next_in = data + sh->sh_offset;
	z.avail_in = sh->sh_size;
	for (int flush = Z_NO_FLUSH, ret = Z_OK; ret != Z_STREAM_END;) {
		if (!z.avail_in && left) {
			z.next_in = (unsigned char *)zeroes;
			z.avail_in = left < sizeof(zeroes) ? left : sizeof(zeroes);
			left -= z.avail_in;
		}
		if (!z.avail_in && !left)
			flush = Z_FINISH;
		if (z.total_out == cap) {
			out = realloc(out, cap *= 2);
			cr_assert_not_null(out);
		}
		z.next_out = out + z.total_out;
		z.avail_out = cap - z.total_out;
		ret = deflate(&z, flush);
		cr_assert(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR);
	}
	at = (len + 7) & ~(size_t)7;
	sh->sh_offset = at;
	sh->sh_size = sizeof(ch) + z.total_out;
	sh->sh_flags |= SHF_COMPRESSED;
	f = fopen(path, "we");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fwrite(zeroes, 1, at - len, f), at - len);
	cr_assert_eq(fwrite(&ch, sizeof(ch), 1, f), 1);
	cr_assert_eq(fwrite(out, 1, z.total_out, f), z.total_out);
	cr_assert_eq(fclose(f), 0);
	deflateEnd(&z);
	free(out);
	free(data);
}

Test(elfsyms, compressed_symtab_is_read)
{
	uint64_t off;

	compress_symtab(lib, 0);
	load_fixture();
	open_syms(lib);
	cr_assert_str_eq(name_of(local_addr, &off), LOCAL_FN);
}

/* 100 MiB of symbol table in 450 kB: refused before libelf allocates it (up to 1000x the file). */
Test(elfsyms_hostile, compressed_symtab_claiming_more_than_any_real_one_is_skipped)
{
	uint64_t off;

	compress_symtab(lib, 100 << 20);
	load_fixture();
	open_syms(lib);
	cr_assert_null(name_of(local_addr, &off), "the static name came from the 100 MiB table");
	cr_assert_str_eq(name_of(global_addr, &off), GLOBAL_FN);
}
