/* Host CPU reservation with flock(2); see host_reserve.h. */
#include "vmm/host/host_reserve.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 100

/* The directory every ktstr-vmm of this host shares: sticky and world-writable like /tmp,
 * since runs of several users compete for the same CPUs. */
static int open_lock_dir(const char *dir, struct kerr *err)
{
	struct stat st;

	if (mkdir(dir, 01777) == 0)
		chmod(dir, 01777);   /* past the umask */
	else if (errno != EEXIST)
		return kerr_errno(err, errno, "CPU lock directory %s", dir);
	if (lstat(dir, &st) < 0)
		return kerr_errno(err, errno, "CPU lock directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "CPU lock directory %s is not a directory", dir);
	return 0;
}

/* cpuN.lock, created readable by all (a lock on a read-only fd is a lock); never through a
 * symlink someone left there. -EBUSY when another process holds it in a conflicting way. */
static int lock_cpu(const char *dir, unsigned cpu, int how, int *fd_out, struct kerr *err)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/cpu%u.lock", dir, cpu);
	fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return kerr_errno(err, errno, "CPU lock %s", path);
	if (flock(fd, how | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return -EBUSY;
		return kerr_errno(err, e, "flock %s", path);
	}
	*fd_out = fd;
	return 0;
}

static int hold(const char *dir, unsigned cpu, int how, struct host_reservation *res,
		struct kerr *err)
{
	int fd = -1, r = lock_cpu(dir, cpu, how, &fd, err);

	if (r < 0)
		return r;
	res->cpu[res->ncpus] = cpu;
	res->fd[res->ncpus++] = fd;
	return 0;
}

/* Every CPU of LLC l exclusively, or none of them. */
static int hold_llc(const char *dir, const struct host_topology *t, unsigned l,
		    struct host_reservation *res, struct kerr *err)
{
	unsigned before = res->ncpus;

	for (unsigned i = 0; i < t->ncpus; i++) {
		int r;

		if (t->cpu[i].llc != l)
			continue;
		if ((r = hold(dir, t->cpu[i].id, LOCK_EX, res, err)) < 0) {
			while (res->ncpus > before)
				close(res->fd[--res->ncpus]);
			return r;
		}
	}
	return 0;
}

/* CPUs in LLC order, so that a VM's CPUs share their caches. */
static int take_shared(const char *dir, const struct host_topology *t, unsigned want,
		       struct host_reservation *res, struct kerr *err)
{
	for (unsigned l = 0; l < t->nllcs && res->ncpus < want; l++)
		for (unsigned i = 0; i < t->ncpus && res->ncpus < want; i++) {
			int r;

			if (t->cpu[i].llc != l)
				continue;
			r = hold(dir, t->cpu[i].id, LOCK_SH, res, err);
			if (r < 0 && r != -EBUSY)
				return r;
		}
	return 0;
}

/* Whole LLCs of at least min_cpus usable CPUs, the first free ones. */
static int take_llcs(const char *dir, const struct host_topology *t, unsigned want, unsigned min_cpus,
		     struct host_reservation *res, unsigned *got, struct kerr *err)
{
	*got = 0;
	for (unsigned l = 0; l < t->nllcs && *got < want; l++) {
		int r = t->llc[l].ncpus >= min_cpus ? hold_llc(dir, t, l, res, err) : -EBUSY;

		if (r < 0 && r != -EBUSY)
			return r;
		*got += r == 0;
	}
	return 0;
}

static unsigned llcs_of_size(const struct host_topology *t, unsigned min_cpus)
{
	unsigned n = 0;

	for (unsigned l = 0; l < t->nllcs; l++)
		n += t->llc[l].ncpus >= min_cpus;
	return n;
}

static int reserve(const char *lock_dir, const struct host_topology *t, unsigned want,
		   enum host_reserve_mode mode, unsigned min_cpus, struct host_reservation *res,
		   struct kerr *err)
{
	unsigned have = mode == HOST_RESERVE_SHARED ? t->ncpus : llcs_of_size(t, min_cpus), got = 0;
	int r;

	res->ncpus = 0;
	if (want == 0 || want > have)
		return kerr_set(err, ERANGE, "%u %s asked for; this host has %u usable", want,
				mode == HOST_RESERVE_SHARED ? "CPUs" : "whole LLCs", have);
	if ((r = open_lock_dir(lock_dir, err)) < 0)
		return r;
	if (mode == HOST_RESERVE_SHARED)
		r = take_shared(lock_dir, t, want, res, err), got = res->ncpus;
	else
		r = take_llcs(lock_dir, t, want, min_cpus, res, &got, err);
	if (r == 0 && got == want)
		return 0;
	host_release(res);
	if (r < 0)
		return r;
	return kerr_set(err, EBUSY, "resources busy: %u of the %u %s asked for are free; other "
			"ktstr-vmm runs hold the rest (%s)", got, want,
			mode == HOST_RESERVE_SHARED ? "CPUs" : "whole LLCs", lock_dir);
}

int host_reserve(const char *lock_dir, const struct host_topology *t, unsigned want,
		 enum host_reserve_mode mode, struct host_reservation *res, struct kerr *err)
{
	return reserve(lock_dir, t, want, mode, 1, res, err);
}

static int reserve_wait(const char *lock_dir, const struct host_topology *t, unsigned want,
			enum host_reserve_mode mode, unsigned min_cpus, unsigned wait_s,
			struct host_reservation *res, struct kerr *err)
{
	struct timespec tick = { 0, RETRY_MS * 1000000L };
	unsigned long waited_ms = 0;
	int r;

	while ((r = reserve(lock_dir, t, want, mode, min_cpus, res, err)) == -EBUSY &&
	       waited_ms < (unsigned long)wait_s * 1000) {
		nanosleep(&tick, NULL);
		waited_ms += RETRY_MS;
	}
	if (r == -EBUSY && wait_s)
		kerr_wrap(err, "after waiting %u s", wait_s);
	return r;
}

int host_reserve_wait(const char *lock_dir, const struct host_topology *t, unsigned want,
		      enum host_reserve_mode mode, unsigned wait_s, struct host_reservation *res,
		      struct kerr *err)
{
	return reserve_wait(lock_dir, t, want, mode, 1, wait_s, res, err);
}

int host_reserve_llcs_wait(const char *lock_dir, const struct host_topology *t, unsigned want,
			   unsigned min_cpus, unsigned wait_s, struct host_reservation *res,
			   struct kerr *err)
{
	return reserve_wait(lock_dir, t, want, HOST_RESERVE_WHOLE_LLCS, min_cpus, wait_s, res, err);
}

void host_release(struct host_reservation *res)
{
	while (res->ncpus > 0)
		close(res->fd[--res->ncpus]);
}

const char *host_lock_dir(void)
{
	const char *dir = getenv("KTSTR_LOCK_DIR");

	return dir ? dir : HOST_LOCK_DIR_DEFAULT;
}

int host_pin_to(const unsigned *cpus, unsigned n, struct kerr *err)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (unsigned i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return kerr_errno(err, errno, "pin to host CPU%s %u%s", n == 1 ? "" : "s", cpus[0],
				  n == 1 ? "" : " and the others held");
	return 0;
}
