/* CPUID tables per vCPU; see cpuid.h. */
#include "vmm/firmware/cpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_EXTRA_ENTRIES 32
#define ECX_HYPERVISOR (1u << 31)
#define EDX_HTT        (1u << 28)
#define ECX_TOPOEXT    (1u << 22)   /* 0x80000001 */
#define LEVEL_TYPE_SMT  1u
#define LEVEL_TYPE_CORE 2u
#define KVM_CPUID_FEATURES_LEAF 0x40000001u   /* KVM_CPUID_FEATURES in the kernel's kvm_para.h */
#define KVM_HINTS_REALTIME_BIT  (1u << 0)

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void drop_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function != fn)
			c->entries[out++] = c->entries[i];
	c->nent = out;
}

/* Leaves 0xB and 0x1F: SMT level, then the core level spanning the whole package. */
static void write_extended_topology(struct kvm_cpuid2 *c, uint32_t fn, const struct topology *t,
				    uint32_t apic_id)
{
	unsigned smt_shift = topology_thread_bits(t);
	unsigned pkg_shift = smt_shift + topology_core_bits(t) + topology_llc_bits(t);
	struct kvm_cpuid_entry2 e = { .function = fn, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };

	drop_leaf(c, fn);
	e.index = 0;
	e.eax = smt_shift;
	e.ebx = t->threads_per_core;
	e.ecx = LEVEL_TYPE_SMT << 8;   /* level number 0 */
	e.edx = apic_id;
	c->entries[c->nent++] = e;
	e.index = 1;
	e.eax = pkg_shift;
	e.ebx = topology_cpus(t);
	e.ecx = (LEVEL_TYPE_CORE << 8) | 1;
	c->entries[c->nent++] = e;
	e.index = 2;
	e.eax = e.ebx = 0;
	e.ecx = 2;   /* level type 0: the end of the list */
	c->entries[c->nent++] = e;
}

/* The caches the guest is told about: L1d, L1i and L2 per core, L3 per LLC. */
struct cache_desc {
	unsigned type;          /* 1 data, 2 instruction, 3 unified */
	unsigned level;
	unsigned ways;
	unsigned kib;
	bool per_llc;           /* shared by the LLC's cores, else by one core's threads */
};

static const struct cache_desc caches[] = {
	{ 1, 1, 8, 32, false }, { 2, 1, 8, 32, false }, { 3, 2, 16, 1024, false }, { 3, 3, 16, 32768, true },
};

#define CACHE_LINE 64u

/* Leaf 4 (Intel) and 0x8000001D (AMD) share the cache-parameter layout; leaf 4 also says how
 * many cores the package has. The sharing counts are the power-of-two spans of APIC IDs. */
static void write_cache_leaves(struct kvm_cpuid2 *c, uint32_t fn, const struct topology *t)
{
	unsigned tb = topology_thread_bits(t), cb = topology_core_bits(t), lb = topology_llc_bits(t);
	unsigned cores_in_pkg = 1u << (cb + lb);
	uint32_t i;

	drop_leaf(c, fn);
	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		const struct cache_desc *d = &caches[i];
		struct kvm_cpuid_entry2 e = { .function = fn, .index = i,
					      .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
		unsigned sharing = 1u << (d->per_llc ? tb + cb : tb);
		unsigned sets = d->kib * 1024 / (d->ways * CACHE_LINE);

		e.eax = d->type | (d->level << 5) | (1u << 8) | ((sharing - 1) << 14);
		if (fn == 4)
			e.eax |= ((cores_in_pkg > 64 ? 64 : cores_in_pkg) - 1) << 26;
		e.ebx = ((d->ways - 1) << 22) | (CACHE_LINE - 1);
		e.ecx = sets - 1;
		c->entries[c->nent++] = e;
	}
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = fn, .index = i,
							   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
}

static void write_leaf1(struct kvm_cpuid2 *c, const struct topology *t, uint32_t apic_id)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, 1, 0);
	unsigned pkg_bits = topology_thread_bits(t) + topology_core_bits(t) + topology_llc_bits(t);
	unsigned logical = 1u << pkg_bits;

	if (!e)
		return;
	if (logical > 255)
		logical = 255;
	e->ebx = (e->ebx & 0xffff) | (logical << 16) | ((apic_id & 0xff) << 24);
	e->ecx |= ECX_HYPERVISOR;
	if (topology_cpus(t) > 1)
		e->edx |= EDX_HTT;
	else
		e->edx &= ~EDX_HTT;
}

static bool is_amd(struct kvm_cpuid2 *c)
{
	const struct kvm_cpuid_entry2 *e = find_leaf(c, 0, 0);

	/* "AuthenticAMD" or "HygonGenuine" in EBX, EDX, ECX */
	return e && ((e->ebx == 0x68747541 && e->edx == 0x69746e65 && e->ecx == 0x444d4163) ||
		     (e->ebx == 0x6f677948 && e->edx == 0x6e65476e && e->ecx == 0x656e6975));
}

static struct kvm_cpuid_entry2 *ensure_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, fn, 0);

	if (e)
		return e;
	c->entries[c->nent] = (struct kvm_cpuid_entry2){ .function = fn };
	return &c->entries[c->nent++];
}

/* AMD reads its topology from 0x8000001E and its caches from 0x8000001D, both only with
 * TOPOEXT; before family 17h it puts the LLC at the "node" level of 0x8000001E, so the node
 * is the LLC. */
static void write_amd_topoext(struct kvm_cpuid2 *c, const struct topology *t, uint32_t apic_id)
{
	unsigned tb = topology_thread_bits(t), cb = topology_core_bits(t);
	unsigned llcs = t->llcs > 8 ? 8 : t->llcs;
	struct kvm_cpuid_entry2 *e = find_leaf(c, 0x80000000, 0);

	if (!e)
		return;
	if (e->eax < 0x8000001e)
		e->eax = 0x8000001e;
	if ((e = find_leaf(c, 0x80000001, 0)))
		e->ecx |= ECX_TOPOEXT;
	e = ensure_leaf(c, 0x8000001e);
	e->eax = apic_id;
	e->ebx = ((t->threads_per_core - 1) << 8) | ((apic_id >> tb) & 0xff);
	e->ecx = ((apic_id >> (tb + cb)) & 0xff) | ((llcs - 1) << 8);
	e->edx = 0;
	write_cache_leaves(c, 0x8000001d, t);
}

static void write_amd_leaves(struct kvm_cpuid2 *c, const struct topology *t, uint32_t apic_id)
{
	struct kvm_cpuid_entry2 *e;
	unsigned pkg_bits = topology_thread_bits(t) + topology_core_bits(t) + topology_llc_bits(t);

	if ((e = find_leaf(c, 0x80000008, 0))) {
		e->ecx &= ~0xf0ffu;
		e->ecx |= (topology_cpus(t) - 1) & 0xff;
		e->ecx |= (pkg_bits & 0xf) << 12;
	}
	if (is_amd(c))
		write_amd_topoext(c, t, apic_id);
}

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, const struct topology *t,
			       uint32_t apic_id)
{
	size_t n = supported->nent + CPUID_EXTRA_ENTRIES;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
	struct kvm_cpuid_entry2 *leaf0;

	if (!c)
		return NULL;
	c->nent = supported->nent;
	memcpy(c->entries, supported->entries, supported->nent * sizeof(struct kvm_cpuid_entry2));
	leaf0 = find_leaf(c, 0, 0);
	if (leaf0 && leaf0->eax < 0xb)
		leaf0->eax = 0xb;
	write_leaf1(c, t, apic_id);
	if (leaf0 && leaf0->eax >= 4)
		write_cache_leaves(c, 4, t);
	write_extended_topology(c, 0xb, t, apic_id);
	if (leaf0 && leaf0->eax >= 0x1f)
		write_extended_topology(c, 0x1f, t, apic_id);
	write_amd_leaves(c, t, apic_id);
	return c;
}

int cpuid_setup_vcpu(int vcpu_fd, const struct kvm_cpuid2 *supported, const struct topology *t,
		     uint32_t apic_id, struct kerr *err)
{
	struct kvm_cpuid2 *c = cpuid_build(supported, t, apic_id);
	int r = 0;

	if (!c)
		return kerr_set(err, ENOMEM, "allocate CPUID table");
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		r = kerr_errno(err, errno, "KVM_SET_CPUID2 for APIC ID %u", apic_id);
	free(c);
	return r;
}

bool cpuid_set_realtime_hint(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, KVM_CPUID_FEATURES_LEAF, 0);

	if (!e)
		return false;
	e->edx |= KVM_HINTS_REALTIME_BIT;
	return true;
}
