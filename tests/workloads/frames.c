// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload whose time is spread over three kinds of code: its own function (kernel_work),
 * the kernel (read() of /dev/zero clears user pages) and glibc (random_r, exported in .dynsym),
 * the last in a thread named "late" started a second after launch, to show that threads
 * created after attach are sampled. Prints its PID; runs argv[1] seconds (default 30).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double seconds = 30;
static char buf[1 << 20];

static double elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static __attribute__((noinline)) void kernel_work(int fd)
{
	if (read(fd, buf, sizeof(buf)) < 0)
		exit(1);
}

static __attribute__((noinline)) long libc_work(struct random_data *rd)
{
	int32_t r, sum = 0;

	for (int i = 0; i < 100000; i++) {
		random_r(rd, &r);
		sum += r;
	}
	return sum;
}

static void *late_thread(void *arg)
{
	static char state[64];
	struct random_data rd = {};
	struct timespec *start = arg;

	initstate_r(1, state, sizeof(state), &rd);
	while (elapsed(start) < seconds)
		libc_work(&rd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec start;
	pthread_t late;
	int fd;

	if (argc > 1)
		seconds = atof(argv[1]);
	fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		return 1;
	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	sleep(1);
	if (pthread_create(&late, NULL, late_thread, &start))
		return 1;
	pthread_setname_np(late, "late");
	while (elapsed(&start) < seconds)
		kernel_work(fd);
	pthread_join(late, NULL);
	return 0;
}
