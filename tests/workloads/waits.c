// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload with one named thread per kind of wait, so that each thread's class is known:
 *   spinner      cpu:   burns CPU
 *   holder       sleep: takes the mutex, sleeps 20 ms holding it, lets go
 *   mutex-wait   lock:  two threads blocked in pthread_mutex_lock behind the holder
 *   net-client   net:   request/response over loopback to net-peer, which answers after 50 ms
 *   net-peer     sleep: the slow peer (it sleeps before answering)
 *   disk         disk:  O_DIRECT reads and fdatasync of a file in argv[2] (default /var/tmp)
 *   sleeper      sleep: nanosleep loop
 *   pool         idle:  two threads parked on a condition variable nobody signals
 * Prints its PID once every thread runs; runs argv[1] seconds (default 30).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DISK_BLOCK (512 << 10)	/* large reads: the device's time, not the request's CPU, dominates */
#define DISK_BLOCKS 64

static volatile int stop;
static volatile int disk_ready;	/* the file is written: what follows is the disk-bound loop */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static const char *disk_dir = "/var/tmp";
static int listen_fd;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static __attribute__((noinline)) void *spinner(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!stop)
		x++;
	return NULL;
}

static __attribute__((noinline)) void *holder(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_mutex_lock(&lock);
		sleep_ms(20);
		pthread_mutex_unlock(&lock);
		sched_yield();
	}
	return NULL;
}

static __attribute__((noinline)) void *mutex_waiter(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_mutex_lock(&lock);
		pthread_mutex_unlock(&lock);
		sleep_ms(1);	/* let the holder take it again */
	}
	return NULL;
}

static __attribute__((noinline)) void *net_peer(void *arg)
{
	char buf[64];
	int fd;

	(void)arg;
	fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		die("accept");
	while (!stop && read(fd, buf, sizeof(buf)) > 0) {
		sleep_ms(50);	/* the slow backend */
		if (write(fd, "pong", 4) != 4)
			break;
	}
	close(fd);
	return NULL;
}

static __attribute__((noinline)) void *net_client(void *arg)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	char buf[64];
	int fd;

	(void)arg;
	if (getsockname(listen_fd, (struct sockaddr *)&addr, &len))
		die("getsockname");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len))
		die("connect");
	while (!stop) {
		if (write(fd, "ping", 4) != 4 || recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
	}
	close(fd);
	return NULL;
}

static __attribute__((noinline)) void *disk(void *arg)
{
	char path[256];
	void *buf;
	int fd;

	(void)arg;
	snprintf(path, sizeof(path), "%s/agentprof-waits.XXXXXX", disk_dir);
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	unlink(path);
	if (posix_memalign(&buf, 4096, DISK_BLOCK))
		die("posix_memalign");
	memset(buf, 'x', DISK_BLOCK);
	for (int i = 0; i < DISK_BLOCKS; i++)
		if (write(fd, buf, DISK_BLOCK) != DISK_BLOCK)
			die("write");
	fdatasync(fd);
	/* O_DIRECT from here on: every read goes to the device, not the page cache */
	if (fcntl(fd, F_SETFL, O_DIRECT))
		die("O_DIRECT");
	disk_ready = 1;
	/* random O_DIRECT reads: each waits for the device (a sequential one could be read ahead) */
	while (!stop) {
		for (int i = 0; i < 16 && !stop; i++)
			if (pread(fd, buf, DISK_BLOCK, (off_t)(rand() % DISK_BLOCKS) * DISK_BLOCK) < 0)
				die("pread");
		if (pwrite(fd, buf, 4096, (off_t)(rand() % DISK_BLOCKS) * DISK_BLOCK) != 4096)
			die("pwrite");
		fdatasync(fd);
	}
	close(fd);
	free(buf);
	return NULL;
}

static __attribute__((noinline)) void *sleeper(void *arg)
{
	(void)arg;
	while (!stop)
		sleep_ms(10);
	return NULL;
}

static __attribute__((noinline)) void *pool_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_lock);
	while (!stop)
		pthread_cond_wait(&pool_cond, &pool_lock);
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

static void start(void *(*fn)(void *), const char *name)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, NULL))
		die("pthread_create");
	pthread_setname_np(t, name);
	pthread_detach(t);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	double seconds = argc > 1 ? atof(argv[1]) : 30;

	if (argc > 2)
		disk_dir = argv[2];
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(listen_fd, 1))
		die("listen");
	start(spinner, "spinner");
	start(holder, "holder");
	start(mutex_waiter, "mutex-wait");
	start(mutex_waiter, "mutex-wait");
	start(net_peer, "net-peer");
	start(net_client, "net-client");
	start(disk, "disk");
	start(sleeper, "sleeper");
	start(pool_worker, "pool");
	start(pool_worker, "pool");
	while (!disk_ready)	/* writing the file first is CPU: not what a profiler should see */
		sleep_ms(10);
	sleep_ms(100);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	sleep_ms((long)(seconds * 1000));
	stop = 1;
	return 0;
}
