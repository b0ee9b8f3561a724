/* --performance's guest RAM: 2 MiB pages when the host's pool has them, each virtual node's
 * RAM bound to the host node of its vCPUs, all of it faulted in before the boot. */
#include "vmm/performance.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmm/host/host_files.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

#define POOL "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define MAX_HOST_NODES 64        /* one word of node mask */

/* free_hugepages minus resv_hugepages in DIR (promised to mappings already made). */
static long long pool_free(const char *dir)
{
	long long v[2] = { -1, 0 };
	const char *names[2] = { "free_hugepages", "resv_hugepages" };

	for (int i = 0; i < 2; i++) {
		char path[512], line[32], *end;
		long long n;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!host_read_line("/", path, line, sizeof(line)))
			continue;
		n = strtoll(line, &end, 10);
		if (end != line && n >= 0)
			v[i] = n;
	}
	return v[0] < 0 ? -1 : v[0] - v[1];
}

/* Why the pool cannot hold `size` bytes bound as the placement binds them; "" when it can. */
static void pool_shortfall(const struct performance *p, const struct topology *vt, uint64_t size,
			   char *why, size_t len)
{
	long long need = (long long)(size / GUEST_HUGE_PAGE), have = pool_free(POOL);

	why[0] = '\0';
	if (have < need) {
		snprintf(why, len, "%lld 2 MiB pages needed, %lld free (/proc/sys/vm/nr_hugepages)", need,
			 have < 0 ? 0 : have);
		return;
	}
	for (unsigned n = 0; n < vt->nodes; n++) {
		unsigned host = p->place.vnode_host_node[n];
		long long node_need = 0, node_have;
		char dir[128];

		for (unsigned m = 0; m < vt->nodes; m++)   /* every virtual node bound to this host node */
			if (p->place.vnode_host_node[m] == host)
				node_need += (long long)(vt->node[m].mem_mib << 20) / (long long)GUEST_HUGE_PAGE;
		snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%u/hugepages/hugepages-2048kB", host);
		if ((node_have = pool_free(dir)) >= 0 && node_have < node_need) {
			snprintf(why, len, "host node %u has %lld free 2 MiB pages, its part of guest RAM "
				 "needs %lld", host, node_have, node_need);
			return;
		}
	}
}

int performance_create_memory(const struct performance *p, const struct vmm_config *cfg,
			      struct guest_memory *m, struct perf_report *r, struct kerr *err)
{
	uint64_t size = cfg->memory_mib << 20;
	char why[256];
	struct kerr huge_err = { 0 };

	if (!p->on)
		return guest_memory_create(m, size, err);
	why[0] = '\0';
	if (size % GUEST_HUGE_PAGE)
		snprintf(why, sizeof(why), "%llu MiB is not a whole number of 2 MiB pages",
			 (unsigned long long)cfg->memory_mib);
	for (unsigned n = 0; !why[0] && n < cfg->topo.nodes; n++)   /* mbind splits at node borders */
		if (cfg->topo.node[n].mem_mib % 2)
			snprintf(why, sizeof(why), "NUMA node %u's %llu MiB is not a whole number of 2 MiB "
				 "pages", n, (unsigned long long)cfg->topo.node[n].mem_mib);
	if (!why[0])
		pool_shortfall(p, &cfg->topo, size, why, sizeof(why));
	if (!why[0] && guest_memory_create_huge(m, size, &huge_err) == 0) {
		perf_note(r, "hugepages", true, "guest RAM on %llu 2 MiB pages",
			  (unsigned long long)(size / GUEST_HUGE_PAGE));
		return 0;
	}
	perf_note(r, "hugepages", false, "%s: guest RAM on 4 KiB pages", why[0] ? why : huge_err.msg);
	return guest_memory_create(m, size, err);
}

static void bind_ranges(const struct performance *p, struct guest_memory *m,
			const struct acpi_mem_range *ranges, unsigned n, struct perf_report *r)
{
	bool listed[MAX_HOST_NODES] = { false };
	char nodes[400] = "";

	for (unsigned i = 0; i < n; i++) {
		unsigned host = p->place.vnode_host_node[ranges[i].node];
		unsigned long mask = 1ul << (host % MAX_HOST_NODES);

		if (host >= MAX_HOST_NODES) {
			perf_note(r, "mbind", false, "host node %u is beyond the %u this build binds to", host,
				  MAX_HOST_NODES);
			return;
		}
		if (syscall(SYS_mbind, m->base + ranges[i].offset, ranges[i].size, MPOL_BIND, &mask,
			    MAX_HOST_NODES + 1, 0) < 0) {
			perf_note(r, "mbind", false, "%s binding virtual node %u's %llu MiB to host node %u",
				  strerror(errno), ranges[i].node, (unsigned long long)(ranges[i].size >> 20), host);
			return;
		}
		if (!listed[host] && strlen(nodes) + 8 < sizeof(nodes))
			snprintf(nodes + strlen(nodes), sizeof(nodes) - strlen(nodes), "%s%u", nodes[0] ? ", " : "", host);
		listed[host] = true;
	}
	perf_note(r, "mbind", true, "guest RAM bound to host node%s %s, where the vCPUs of its "
		  "virtual node%s run", strchr(nodes, ',') ? "s" : "", nodes, n > 1 ? "s" : "");
}

/* Every page of guest RAM allocated now, not at the guest's first touch. On 2 MiB pages a
 * failure is fatal: the guest's touch would fail the same way (a node short of pages). */
static int prefault(struct guest_memory *m, struct perf_report *r, struct kerr *err)
{
	struct timespec t0, t1;
	int e = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (madvise(m->base, m->size, MADV_POPULATE_WRITE) < 0) {
		e = errno;
		if (e == EINVAL && !m->huge) {   /* before 5.14: touch each page */
			for (uint64_t off = 0; off < m->size; off += 4096)
				((volatile uint8_t *)m->base)[off] = 0;
			e = 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (e && m->huge)
		return kerr_errno(err, e, "--performance: fault in guest RAM on 2 MiB pages (a host node "
				  "short of free pages?)");
	if (e)
		perf_note(r, "prefault", false, "MADV_POPULATE_WRITE: %s: guest RAM is faulted in as the "
			  "guest touches it", strerror(e));
	else
		perf_note(r, "prefault", true, "%llu MiB faulted in before the boot, %.0f ms",
			  (unsigned long long)(m->size >> 20),
			  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

int performance_bind_memory(const struct performance *p, struct guest_memory *m,
			    const struct acpi_mem_range *ranges, unsigned n, struct perf_report *r,
			    struct kerr *err)
{
	if (!p->on)
		return 0;
	bind_ranges(p, m, ranges, n, r);
	return prefault(m, r, err);
}
