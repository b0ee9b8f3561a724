/* Topology options; see topology_opt.h. */
#include "vmm/topology_opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int number(const char *opt, const char *what, const char *s, size_t len, uint64_t max,
		  uint64_t *out, struct kerr *err)
{
	char buf[32], *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf))
		return kerr_set(err, EINVAL, "%s: %s \"%.*s\" is not a number", opt, what, (int)len, s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end || buf[0] == '-' || errno == ERANGE)
		return kerr_set(err, EINVAL, "%s: %s \"%s\" is not a number", opt, what, buf);
	if (v > max)
		return kerr_set(err, ERANGE, "%s: %s %llu is more than %llu", opt, what, v,
				(unsigned long long)max);
	*out = v;
	return 0;
}

int topology_opt_counts(struct topology_opts *o, const char *s, struct kerr *err)
{
	static const char *const what[4] = { "NUMA", "LLCS", "CORES_PER_LLC", "THREADS_PER_CORE" };
	const char *p = s;

	for (int i = 0; i < 4; i++) {
		size_t len = strcspn(p, ",");
		uint64_t v = 0;
		int r;

		if ((i < 3) != (p[len] == ','))
			return kerr_set(err, EINVAL, "--topology: \"%s\" is not NUMA,LLCS,CORES_PER_LLC,"
					"THREADS_PER_CORE", s);
		if ((r = number("--topology", what[i], p, len, TOPOLOGY_MAX_CPUS, &v, err)) < 0)
			return r;
		if (v == 0)
			return kerr_set(err, EINVAL, "--topology: %s is 0; it must be at least 1", what[i]);
		o->counts[i] = (unsigned)v;
		p += len + (i < 3);
	}
	o->have_counts = true;
	return 0;
}

static int node_field(struct topology_node *n, const char *key, size_t klen, const char *val,
		      size_t vlen, struct kerr *err)
{
	static const struct {
		const char *key;
		uint64_t max;
	} fields[] = { { "llcs", TOPOLOGY_MAX_CPUS }, { "mem", 1u << 20 },
		       { "latency_ns", UINT32_MAX }, { "bandwidth_mbs", UINT32_MAX },
		       { "cache_mib", 1u << 20 } };

	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t v = 0;
		int r;

		if (klen != strlen(fields[i].key) || strncmp(key, fields[i].key, klen) != 0)
			continue;
		if ((r = number("--numa-node", fields[i].key, val, vlen, fields[i].max, &v, err)) < 0)
			return r;
		switch (i) {
		case 0: n->llcs = (unsigned)v; break;
		case 1: n->mem_mib = v; break;
		case 2: n->latency_ns = (uint32_t)v; break;
		case 3: n->bandwidth_mbs = (uint32_t)v; break;
		default: n->cache_mib = (uint32_t)v; break;
		}
		return 0;
	}
	return kerr_set(err, EINVAL, "--numa-node: unknown field \"%.*s\" (llcs, mem, latency_ns, "
			"bandwidth_mbs, cache_mib)", (int)klen, key);
}

int topology_opt_node(struct topology_opts *o, const char *s, struct kerr *err)
{
	struct topology_node n = { .llcs = ~0u };
	const char *p = s;

	if (o->n_nodes == TOPOLOGY_MAX_NODES)
		return kerr_set(err, EINVAL, "--numa-node: more than %d nodes", TOPOLOGY_MAX_NODES);
	while (*p) {
		size_t len = strcspn(p, ","), klen = strcspn(p, "=");
		int r;

		if (klen >= len)
			return kerr_set(err, EINVAL, "--numa-node: \"%.*s\" is not key=value", (int)len, p);
		if ((r = node_field(&n, p, klen, p + klen + 1, len - klen - 1, err)) < 0)
			return r;
		p += len + (p[len] == ',');
	}
	if (n.llcs == ~0u || n.mem_mib == 0)
		return kerr_set(err, EINVAL, "--numa-node \"%s\": llcs= and a non-zero mem= are required", s);
	o->node[o->n_nodes++] = n;
	return 0;
}

int topology_opt_distances(struct topology_opts *o, const char *s, struct kerr *err)
{
	unsigned row = 0, col = 0, width = 0;
	const char *p = s;

	for (;;) {
		size_t len = strcspn(p, ",;");
		uint64_t v = 0;
		int r;

		if (row >= TOPOLOGY_MAX_NODES || col >= TOPOLOGY_MAX_NODES)
			return kerr_set(err, EINVAL, "--numa-distances: more than %d rows or columns",
					TOPOLOGY_MAX_NODES);
		if ((r = number("--numa-distances", "entry", p, len, 254, &v, err)) < 0)
			return r;
		o->distance[row][col++] = (uint8_t)v;
		if (p[len] == ',') {
			p += len + 1;
			continue;
		}
		if (row == 0)
			width = col;
		else if (col != width)
			return kerr_set(err, EINVAL, "--numa-distances: row %u has %u entries, row 0 has %u",
					row, col, width);
		row++;
		col = 0;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (row != width)
		return kerr_set(err, EINVAL, "--numa-distances: %u rows of %u entries is not square", row,
				width);
	o->have_distances = true;
	o->distance_rows = row;
	return 0;
}

static int explicit_nodes(const struct topology_opts *o, uint64_t *mem_mib, bool mem_given,
			  struct topology *t, struct kerr *err)
{
	memset(t, 0, sizeof(*t));
	t->nodes = o->n_nodes;
	for (unsigned i = 0; i < o->n_nodes; i++) {
		t->node[i] = o->node[i];
		t->llcs += o->node[i].llcs;
	}
	t->cores_per_llc = o->have_counts ? o->counts[2] : 1;
	t->threads_per_core = o->have_counts ? o->counts[3] : 1;
	if (o->have_counts && (o->counts[0] != t->nodes || o->counts[1] != t->llcs))
		return kerr_set(err, EINVAL, "--topology says %u nodes and %u LLCs, the --numa-node "
				"options %u and %u", o->counts[0], o->counts[1], t->nodes, t->llcs);
	if (mem_given && *mem_mib != topology_mem_mib(t))
		return kerr_set(err, EINVAL, "--memory %llu differs from the %llu MiB of the --numa-node "
				"options", (unsigned long long)*mem_mib,
				(unsigned long long)topology_mem_mib(t));
	*mem_mib = topology_mem_mib(t);
	for (unsigned i = 0; i < TOPOLOGY_MAX_NODES; i++)
		for (unsigned j = 0; j < TOPOLOGY_MAX_NODES; j++)
			t->distance[i][j] = i == j ? TOPOLOGY_LOCAL_DISTANCE : TOPOLOGY_REMOTE_DISTANCE;
	return 0;
}

int topology_opt_finish(const struct topology_opts *o, unsigned cpus, uint64_t *mem_mib,
			bool mem_given, struct topology *t, struct kerr *err)
{
	uint64_t mem = *mem_mib;
	int r;

	if (cpus && (o->have_counts || o->n_nodes))
		return kerr_set(err, EINVAL, "--cpus cannot be combined with --topology or --numa-node");
	if (o->n_nodes)
		r = explicit_nodes(o, &mem, mem_given, t, err);
	else if (o->have_counts)
		r = topology_uniform(t, o->counts[0], o->counts[1], o->counts[2], o->counts[3], mem, err);
	else
		r = topology_uniform(t, 1, 1, cpus ? cpus : 1, 1, mem, err);
	if (r < 0)
		return r;
	if (o->have_distances) {
		if (o->distance_rows != t->nodes)
			return kerr_set(err, EINVAL, "--numa-distances: a %ux%u matrix for %u NUMA nodes",
					o->distance_rows, o->distance_rows, t->nodes);
		memcpy(t->distance, o->distance, sizeof(t->distance));
	}
	if ((r = topology_validate(t, err)) < 0)
		return r;
	*mem_mib = mem;
	return 0;
}
