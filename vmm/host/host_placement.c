/* --performance's placement; see host_placement.h. */
#include "vmm/host/host_placement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int host_placement_fits(const struct host_topology *t, const struct topology *vt, struct kerr *err)
{
	unsigned per_llc = vt->cores_per_llc * vt->threads_per_core, big = 0, largest = 0;

	for (unsigned l = 0; l < t->nllcs; l++) {
		big += t->llc[l].ncpus >= per_llc;
		if (t->llc[l].ncpus > largest)
			largest = t->llc[l].ncpus;
	}
	if (big >= vt->llcs && t->ncpus > topology_cpus(vt))
		return 0;
	if (big >= vt->llcs)
		return kerr_set(err, ERANGE, "--performance gives the VM's %u vCPUs a host CPU each and vmm "
				"and its devices one more; this host has %u usable CPUs", topology_cpus(vt), t->ncpus);
	return kerr_set(err, ERANGE, "--performance puts each of the VM's %u LLC%s (%u vCPUs each) on a "
			"whole host LLC of at least %u CPUs; this host has %u such LLC%s (%u LLC%s, the "
			"largest with %u usable CPUs)", vt->llcs, vt->llcs == 1 ? "" : "s", per_llc, per_llc,
			big, big == 1 ? "" : "s", t->nllcs, t->nllcs == 1 ? "" : "s", largest);
}

static const struct host_cpu *find_cpu(const struct host_topology *t, unsigned id)
{
	for (unsigned i = 0; i < t->ncpus; i++)
		if (t->cpu[i].id == id)
			return &t->cpu[i];
	return NULL;
}

/* Which SMT sibling of its core a CPU is: 0 for the lowest-numbered, 1 for the next, ...
 * (within its LLC: core_id repeats across the dies of one package). */
static unsigned sibling_index(const struct host_topology *t, const struct host_cpu *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->ncpus; i++)
		n += t->cpu[i].llc == c->llc && t->cpu[i].package == c->package &&
		     t->cpu[i].core == c->core && t->cpu[i].id < c->id;
	return n;
}

struct slot {
	unsigned cpu, sibling;
	unsigned long long core_key;   /* package, LLC, core: one host core */
};

static int by_core(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->core_key != y->core_key)
		return x->core_key < y->core_key ? -1 : 1;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static int by_sibling(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->sibling != y->sibling)
		return x->sibling < y->sibling ? -1 : 1;
	return by_core(a, b);
}

/* The held CPUs of host LLC l, in the order vCPUs take them. */
static unsigned llc_order(const struct host_topology *t, const struct host_reservation *llcs,
			  unsigned l, bool pair_siblings, struct slot *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < llcs->ncpus; i++) {
		const struct host_cpu *c = find_cpu(t, llcs->cpu[i]);

		if (!c || c->llc != l)
			continue;
		out[n++] = (struct slot){ .cpu = c->id, .sibling = sibling_index(t, c),
					  .core_key = ((unsigned long long)c->package << 42) |
						      ((unsigned long long)c->llc << 21) | c->core };
	}
	qsort(out, n, sizeof(*out), pair_siblings ? by_core : by_sibling);
	return n;
}

/* The host LLCs in llcs, in the order they were taken. */
static unsigned held_llcs(const struct host_topology *t, const struct host_reservation *llcs,
			  unsigned *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < llcs->ncpus; i++) {
		const struct host_cpu *c = find_cpu(t, llcs->cpu[i]);

		if (c && (n == 0 || out[n - 1] != c->llc))
			out[n++] = c->llc;
	}
	return n;
}

/* A slot after the first `used` (the vCPUs'), preferably on a core none of them is on. */
static unsigned spare(const struct slot *slots, unsigned used, unsigned n)
{
	for (unsigned i = used; i < n; i++) {
		bool shared = false;

		for (unsigned j = 0; j < used; j++)
			shared |= slots[j].core_key == slots[i].core_key;
		if (!shared)
			return slots[i].cpu;
	}
	return slots[n - 1].cpu;
}

/* Virtual LLC k's vCPUs on the k-th held LLC; the service CPU a spare of the last. */
static int assign(const struct host_topology *t, const struct host_reservation *llcs,
		  const struct topology *vt, const unsigned *order, unsigned nheld, struct slot *slots,
		  struct host_placement *p, struct kerr *err)
{
	unsigned per_llc = vt->cores_per_llc * vt->threads_per_core, v = 0;

	if (nheld < vt->llcs)
		return kerr_set(err, EINVAL, "--performance: %u host LLCs held for %u virtual ones", nheld, vt->llcs);
	for (unsigned k = 0; k < nheld; k++) {
		unsigned n = llc_order(t, llcs, order[k], vt->threads_per_core > 1, slots), used = 0;

		if (k < vt->llcs && n < per_llc)
			return kerr_set(err, EINVAL, "--performance: host LLC %u has %u CPUs, the VM's LLC %u "
					"needs %u", order[k], n, k, per_llc);
		for (; k < vt->llcs && used < per_llc; used++, v++) {
			p->vcpu_cpu[v] = slots[used].cpu;
			p->vcpu_llc[v] = order[k];
		}
		if (used < n)
			p->service_cpu = spare(slots, used, n);
	}
	p->nvcpus = v;
	for (unsigned node = 0, llc = 0; node < vt->nodes; llc += vt->node[node++].llcs)
		p->vnode_host_node[node] = t->llc[order[llc < vt->llcs ? llc : 0]].node;
	return 0;
}

int host_placement_make(const struct host_topology *t, const struct host_reservation *llcs,
			const struct topology *vt, struct host_placement *p, struct kerr *err)
{
	unsigned *order = calloc(HOST_MAX_CPUS, sizeof(*order));
	struct slot *slots = calloc(HOST_MAX_CPUS, sizeof(*slots));
	int r;

	memset(p, 0, sizeof(*p));
	p->service_cpu = HOST_PLACEMENT_NO_CPU;
	if (!order || !slots)
		r = kerr_set(err, ENOMEM, "--performance placement");
	else
		r = assign(t, llcs, vt, order, held_llcs(t, llcs, order), slots, p, err);
	free(order);
	free(slots);
	return r;
}
