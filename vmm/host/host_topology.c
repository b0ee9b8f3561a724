/* The host topology from /sys; see host_topology.h. */
#include "vmm/host/host_topology.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/host/host_files.h"

#define WORDS (HOST_MAX_CPUS / 64)
#define CPU_DIR "/sys/devices/system/cpu"
#define MAX_CACHE_INDEX 10

static bool bit(const uint64_t *b, unsigned i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static int parse_range(const char *tok, size_t len, uint64_t *bits)
{
	char buf[32], *end;
	unsigned long a, b;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	errno = 0;
	a = strtoul(buf, &end, 10);
	b = a;
	if (end == buf || errno)
		return -EINVAL;
	if (*end == '-') {
		const char *from = end + 1;

		b = strtoul(from, &end, 10);
		if (end == from || errno)
			return -EINVAL;
	}
	if (*end || a > b || b >= HOST_MAX_CPUS)
		return -EINVAL;
	for (unsigned long i = a; i <= b; i++)
		bits[i / 64] |= 1ull << (i % 64);
	return 0;
}

int host_cpulist_parse(const char *s, uint64_t bits[HOST_MAX_CPUS / 64])
{
	memset(bits, 0, WORDS * sizeof(uint64_t));
	if (!*s)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(s, ",");

		if (parse_range(s, len, bits) < 0)
			return -EINVAL;
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

/* A cpulist file (first line) into bits; the error names the file and what it held. */
static int read_cpulist(const char *root, const char *rel, uint64_t *bits, struct kerr *err)
{
	char line[4096];

	if (!host_read_line(root, rel, line, sizeof(line)))
		return kerr_errno(err, errno ? errno : EIO, "%s", rel);
	if (host_cpulist_parse(line, bits) < 0)
		return kerr_set(err, EINVAL, "%s: \"%.64s\" is not a CPU list (at most CPU %d)", rel,
				line, HOST_MAX_CPUS - 1);
	return 0;
}

static unsigned read_number(const char *root, const char *rel)
{
	char line[32];

	return host_read_line(root, rel, line, sizeof(line)) ? (unsigned)strtoul(line, NULL, 10) : 0;
}

/* The cgroup v2 cpuset this process runs in (the "0::PATH" line of /proc/self/cgroup);
 * false when there is none to read (no limit then). */
static bool read_cpuset(const char *root, uint64_t *bits)
{
	char path[4096], rel[4200], *line, *save = NULL;
	ssize_t n;
	int fd;

	host_path(path, sizeof(path), root, "/proc/self/cgroup");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return false;
	path[n] = '\0';
	for (line = strtok_r(path, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		snprintf(rel, sizeof(rel), "/sys/fs/cgroup%s/cpuset.cpus.effective",
			 strcmp(line + 3, "/") ? line + 3 : "");
		return host_read_line(root, rel, path, sizeof(path)) && host_cpulist_parse(path, bits) == 0;
	}
	return false;
}

/* The node of each CPU, from the node directories the host lists as possible. */
static void read_nodes(const char *root, unsigned *node_of)
{
	uint64_t nodes[WORDS] = { 0 }, cpus[WORDS] = { 0 };
	struct kerr ignored;

	memset(node_of, 0, HOST_MAX_CPUS * sizeof(*node_of));
	if (read_cpulist(root, "/sys/devices/system/node/possible", nodes, &ignored) < 0)
		return;
	for (unsigned n = 0; n < HOST_MAX_CPUS; n++) {
		char rel[96];

		if (!bit(nodes, n))
			continue;
		snprintf(rel, sizeof(rel), "/sys/devices/system/node/node%u/cpulist", n);
		if (read_cpulist(root, rel, cpus, &ignored) < 0)
			continue;
		for (unsigned c = 0; c < HOST_MAX_CPUS; c++)
			if (bit(cpus, c))
				node_of[c] = n;
	}
}

/* The CPUs sharing cpu's last-level cache (its highest cache index); false without one. */
static bool read_llc(const char *root, unsigned cpu, uint64_t *shared)
{
	unsigned best = 0, best_level = 0;
	struct kerr ignored;
	char rel[128];

	for (unsigned i = 0; i < MAX_CACHE_INDEX; i++) {
		unsigned level;

		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cache/index%u/level", cpu, i);
		level = read_number(root, rel);
		if (level > best_level) {
			best_level = level;
			best = i;
		}
	}
	if (!best_level)
		return false;
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cache/index%u/shared_cpu_list", cpu, best);
	return read_cpulist(root, rel, shared, &ignored) == 0;
}

/* The LLC of c: the lowest usable CPU sharing its cache (its package without cache data). */
static unsigned llc_key(const char *root, const struct host_cpu *c, const uint64_t *usable,
			const struct host_topology *t)
{
	uint64_t shared[WORDS] = { 0 };

	if (read_llc(root, c->id, shared)) {
		for (unsigned i = 0; i < HOST_MAX_CPUS; i++)
			if (bit(shared, i) && bit(usable, i))
				return i;
	}
	for (unsigned i = 0; i < t->ncpus; i++)
		if (t->cpu[i].package == c->package)
			return t->cpu[i].id;
	return c->id;
}

static void add_to_llc(struct host_topology *t, struct host_cpu *c, unsigned key)
{
	unsigned i;

	for (i = 0; i < t->nllcs && t->llc[i].first_cpu != key; i++)
		;
	if (i == t->nllcs)
		t->llc[t->nllcs++] = (struct host_llc){ .first_cpu = key, .node = c->node };
	t->llc[i].ncpus++;
	c->llc = i;
}

static void read_cpu(const char *root, unsigned id, const unsigned *node_of,
		     const uint64_t *usable, struct host_topology *t)
{
	struct host_cpu *c = &t->cpu[t->ncpus];
	uint64_t siblings[WORDS] = { 0 };
	struct kerr ignored;
	char rel[128];

	*c = (struct host_cpu){ .id = id, .node = node_of[id] };
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/core_id", id);
	c->core = read_number(root, rel);
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/physical_package_id", id);
	c->package = read_number(root, rel);
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/thread_siblings_list", id);
	if (read_cpulist(root, rel, siblings, &ignored) == 0)
		for (unsigned i = 0; i < HOST_MAX_CPUS; i++)
			if (i != id && bit(siblings, i) && bit(usable, i))
				t->smt = true;
	add_to_llc(t, c, llc_key(root, c, usable, t));
	t->ncpus++;
}

int host_topology_read(const char *root, struct host_topology *t, struct kerr *err)
{
	uint64_t usable[WORDS] = { 0 }, cpuset[WORDS] = { 0 };
	unsigned node_of[HOST_MAX_CPUS];
	bool nodes_seen[HOST_MAX_CPUS] = { false };

	memset(t, 0, sizeof(*t));
	if (read_cpulist(root, CPU_DIR "/online", usable, err) < 0)
		return kerr_wrap(err, "the host's online CPUs");
	for (unsigned i = 0; i < HOST_MAX_CPUS; i++)
		t->online += bit(usable, i);
	if (read_cpuset(root, cpuset)) {
		for (unsigned w = 0; w < WORDS; w++) {
			t->cpuset_limited |= (usable[w] & ~cpuset[w]) != 0;
			usable[w] &= cpuset[w];
		}
	}
	read_nodes(root, node_of);
	for (unsigned i = 0; i < HOST_MAX_CPUS; i++)
		if (bit(usable, i))
			read_cpu(root, i, node_of, usable, t);
	if (!t->ncpus)
		return kerr_set(err, ENOENT, "no online CPU is in this process's cpuset");
	for (unsigned i = 0; i < t->ncpus; i++) {
		t->nnodes += !nodes_seen[t->cpu[i].node];
		nodes_seen[t->cpu[i].node] = true;
	}
	return 0;
}

void host_cpulist_format(const unsigned *cpus, unsigned n, char *buf, size_t size)
{
	bool on[HOST_MAX_CPUS] = { false };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		if (cpus[i] < HOST_MAX_CPUS)
			on[cpus[i]] = true;
	for (unsigned c = 0; c < HOST_MAX_CPUS; c++) {
		unsigned end = c;
		int w;

		if (!on[c])
			continue;
		while (end + 1 < HOST_MAX_CPUS && on[end + 1])
			end++;
		w = snprintf(buf + used, size - used, end > c ? "%s%u-%u" : "%s%u", used ? "," : "", c, end);
		if (w < 0 || (size_t)w >= size - used) {
			snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
			return;
		}
		used += (size_t)w;
		c = end;
	}
}
