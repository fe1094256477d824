// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A tiny JIT: copies a spin loop into anonymous executable memory and names it in its perf map
 * (/tmp/perf-PID.map, as Node's --perf-basic-prof and CPython's -X perf do), then runs it.
 * Prints its PID, runs for argv[1] seconds (default 30) or until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* mov ecx, 0x01000000; 1: dec ecx; jnz 1b; ret */
static const unsigned char spin_code[] = { 0xb9, 0x00, 0x00, 0x00, 0x01, 0xff, 0xc9, 0x75, 0xfc, 0xc3 };

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec start, now;
	char path[64];
	void (*spin)(void);
	unsigned char *code;
	FILE *f;

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		return 1;
	/* a stale entry first: the later one for the same code wins, as when a JIT reuses memory */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "%lx %zx stale_entry\n", (unsigned long)code, sizeof(spin_code));
	fprintf(f, "%lx %zx jitted_spin [jit]\n", (unsigned long)code, sizeof(spin_code));
	fclose(f);
	memcpy(code, spin_code, sizeof(spin_code));
	spin = (void (*)(void))code;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		spin();
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	unlink(path);
	return 0;
}
