// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Built with -fomit-frame-pointer: spins at the bottom of a recursion whose frames (512 bytes
 * each, 30 KiB in all) outgrow the stack pages a sample copies, so its unwound stacks are cut
 * short and must say so. Prints its PID, runs until killed.
 */
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long sink;
static volatile int spinning = 1;

static __attribute__((noinline)) void down(int n)
{
	volatile char pad[512];

	pad[0] = n;
	if (n)
		down(n - 1);
	else
		while (spinning)
			sink++;
	sink += pad[0];
}

int main(void)
{
	printf("%d\n", (int)getpid());
	fflush(stdout);
	down(60);
	return 0;
}
