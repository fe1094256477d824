// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of symbolize.c: frame names for addresses of this very process. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"
#include "target/procmaps.h"
#include "symbols/images.h"
#include "symbols/symbolize.h"

static char *dir, *lib;
static void *handle;
static struct images *images;
static struct syms_cache *cache;
static uint64_t global_addr, local_addr;
static char buf[256];

static void setup(void)
{
	dir = scratch_dir();
	lib = build_fixture(dir, "libfixture.so", "");
}

static void teardown(void)
{
	syms_cache__free(cache);
	images__free(images);
	if (handle)
		dlclose(handle);
	free(lib);
	scratch_remove(dir);
}

TestSuite(symbolize, .init = setup, .fini = teardown);

static void load_fixture(void)
{
	void *(*local_addr_fn)(void);

	handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(handle, "dlopen: %s", dlerror());
	global_addr = (uint64_t)(uintptr_t)dlsym(handle, "agentprof_global_fn");
	*(void **)&local_addr_fn = dlsym(handle, "agentprof_local_addr");
	cr_assert_neq(global_addr, 0);
	cr_assert_not_null(local_addr_fn);
	local_addr = (uint64_t)(uintptr_t)local_addr_fn();
}

static void new_cache(void)
{
	images = images__new();
	cr_assert_not_null(images);
	cache = syms_cache__new(images);
	cr_assert_not_null(cache);
	cr_assert_eq(images__add(images, getpid()), 0);
}

static const char *user(uint64_t addr, bool is_return)
{
	memset(buf, 'X', sizeof(buf));
	syms_cache__user(cache, getpid(), 0, addr, is_return, buf, sizeof(buf));
	return buf;
}

static const char *kernel(uint64_t addr, bool is_return)
{
	memset(buf, 'X', sizeof(buf));
	syms_cache__kernel(cache, addr, is_return, buf, sizeof(buf));
	return buf;
}

Test(symbolize, names_functions_of_a_dlopened_library)
{
	load_fixture();
	new_cache();
	cr_assert_str_eq(user(global_addr, false), "agentprof_global_fn");
	cr_assert_str_eq(user(global_addr + 3, false), "agentprof_global_fn");
	cr_assert_str_eq(user(local_addr, false), "agentprof_local_fn");
	/* the second lookup is served from the cache and must agree */
	cr_assert_str_eq(user(global_addr, false), "agentprof_global_fn");
}

Test(symbolize, return_address_names_the_call_before_it)
{
	load_fixture();
	new_cache();
	cr_assert_str_eq(user(global_addr + 1, true), "agentprof_global_fn");
	/* a call cannot end at a function's first byte: the byte before belongs to something else */
	cr_assert_str_neq(user(local_addr, true), "agentprof_local_fn");
}

Test(symbolize, names_own_code)
{
	new_cache();
	cr_assert_str_eq(user((uint64_t)(uintptr_t)&new_cache, false), "new_cache");
}

Test(symbolize, address_without_symbol_gives_file_and_address)
{
	struct link_map *lm;
	char want[256];

	cr_assert_eq(run("strip --strip-all '%s'", lib), 0);
	load_fixture();
	new_cache();
	cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &lm), 0);
	snprintf(want, sizeof(want), "libfixture.so+0x%llx",
		 (unsigned long long)(local_addr - lm->l_addr));
	cr_assert_str_eq(user(local_addr, false), want);
	cr_assert_str_eq(user(global_addr, false), "agentprof_global_fn");
}

Test(symbolize, address_in_no_mapping_is_unknown)
{
	new_cache();
	cr_assert_str_eq(user(0x10, false), "[unknown]");
	cr_assert_str_eq(user(0, true), "[unknown]");
	cr_assert_str_eq(user(UINT64_MAX, false), "[unknown]");
}

Test(symbolize, refresh_follows_dlopen)
{
	new_cache();
	load_fixture();
	cr_assert_str_eq(user(global_addr, false), "[unknown]", "mapped after the cache read maps");
	cr_assert_eq(images__refresh(images), 0);
	cr_assert_str_eq(user(global_addr, false), "agentprof_global_fn");
}

Test(symbolize, unknown_process_is_unknown)
{
	load_fixture();
	new_cache();
	syms_cache__user(cache, getpid() + 1, 0, global_addr, false, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[unknown]");
	cr_assert_eq(images__maps(images, getpid() + 1)->n, 0);
	cr_assert_gt(images__maps(images, getpid())->n, 0);
}

Test(symbolize, long_names_are_truncated_to_the_buffer)
{
	char small[8];

	load_fixture();
	new_cache();
	syms_cache__user(cache, getpid(), 0, global_addr, false, small, sizeof(small));
	cr_assert_str_eq(small, "agentpr");
}

/* The address of a text symbol in /proc/kallsyms, or 0 when addresses are hidden. */
static uint64_t kallsyms_addr(const char *want)
{
	char line[512], name[256], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && (type == 'T' || type == 't') &&
		    !strcmp(name, want))
			found = addr;
	fclose(f);
	return found;
}

/* Whether kallsyms has a text symbol called name at addr (aliases share addresses). */
static bool kallsyms_has(uint64_t at, const char *want)
{
	char line[512], name[256], type;
	unsigned long long addr;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && addr == at &&
			strchr("tTwW", type) && !strcmp(name, want);
	fclose(f);
	return found;
}

Test(symbolize, kernel_addresses_are_named_when_kallsyms_allows)
{
	uint64_t addr = kallsyms_addr("schedule");

	new_cache();
	if (!addr) {
		/* unprivileged or kptr_restrict: every kernel frame is unnamed, nothing crashes */
		cr_assert_str_eq(kernel(0xffffffff81000000ull, false), "[unknown]");
		return;
	}
	cr_assert(kallsyms_has(addr, kernel(addr, false)), "schedule named %s", buf);
	cr_assert(kallsyms_has(addr, kernel(addr + 1, true)), "return address named %s", buf);
	cr_assert_str_eq(kernel(0x10, false), "[unknown]", "below every kernel symbol");
}
