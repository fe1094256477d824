// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness of elfsyms.c: the input is an ELF file of the target, opened and queried. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "symbols/elfsyms.h"

/*
 * A private directory: the debug-file search looks next to the file for the name in its
 * .gnu_debuglink, so the file must not sit where that name could reach anything else.
 */
static char dir[] = "/tmp/agentprof-fuzz-elf-XXXXXX";
static char path[sizeof(dir) + 16], debug_root[sizeof(dir) + 16];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/target", dir);
	snprintf(debug_root, sizeof(debug_root), "%s/debug", dir);
	atexit(cleanup);
}

static void check_lookup(const struct elf_syms *s, uint64_t vaddr)
{
	uint64_t off = UINT64_MAX;
	const char *name = elf_syms__lookup(s, vaddr, &off);

	/* names are cut at the symbol version ("memcpy@@GLIBC_2.14"), empty ones dropped */
	if (name && (!*name || strchr(name, '@') || off > vaddr))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms *s;
	const char *id;
	uint64_t a, vaddr;
	int fd;

	if (!path[0])
		setup();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(path);
		abort();
	}
	close(fd);

	s = elf_syms__open("", path, debug_root);
	if (!s)
		return 0;
	id = elf_syms__build_id(s);
	if (strlen(id) % 2 || strlen(id) > 128 || strspn(id, "0123456789abcdef") != strlen(id))
		abort();
	/* the seeds' code: PIE and libraries near 0, -no-pie executables at 0x400000 */
	for (a = 0; a < 0x4000; a += 8) {
		if (!elf_syms__offset_to_vaddr(s, a, &vaddr))
			check_lookup(s, vaddr);
		check_lookup(s, a);
		check_lookup(s, 0x400000 + a);
	}
	check_lookup(s, UINT64_MAX);
	elf_syms__free(s);
	return 0;
}
