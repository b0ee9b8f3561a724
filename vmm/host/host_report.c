/* The host check's output: a line per check and a verdict, or one JSON object. */
#include "vmm/host/host_check_internal.h"

#include <string.h>

#include "vmm/json.h"

const char *host_status_name(enum host_status s)
{
	return s == HOST_OK ? "ok" : s == HOST_WARN ? "warn" : "fail";
}

static const char *first_failure(const struct host_report *r)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->checks[i].status == HOST_FAIL)
			return r->checks[i].name;
	return NULL;
}

void host_report_print(const struct host_report *r, FILE *f)
{
	for (unsigned i = 0; i < r->n; i++) {
		const struct host_check *c = &r->checks[i];

		fprintf(f, "%-4s %-10s %s", host_status_name(c->status), c->name, c->detail);
		if (c->fix[0])
			fprintf(f, " -- fix: %s", c->fix);
		fputc('\n', f);
	}
	if (r->native_boot)
		fprintf(f, "verdict: native boots can work here (KVM: %s)\n", host_kvm_name(r->kvm.kind));
	else
		fprintf(f, "verdict: no native boot here (%s failed; KVM: %s): use the nested harness, "
			"scripts/nested-kvm\n", first_failure(r), host_kvm_name(r->kvm.kind));
}

static void json_field(FILE *f, const char *key, const char *value, const char *after)
{
	fprintf(f, "\"%s\": ", key);
	json_string(f, value, strlen(value));
	fputs(after, f);
}

void host_report_print_json(const struct host_report *r, FILE *f)
{
	fprintf(f, "{\n  \"native_boot\": %s,\n  \"kvm\": \"%s\",\n  \"stock_kernels\": %s,\n",
		r->native_boot ? "true" : "false", host_kvm_name(r->kvm.kind),
		r->kvm.stock_kernels ? "true" : "false");
	fputs("  \"checks\": [\n", f);
	for (unsigned i = 0; i < r->n; i++) {
		const struct host_check *c = &r->checks[i];

		fputs("    {", f);
		json_field(f, "name", c->name, ", ");
		json_field(f, "status", host_status_name(c->status), ", ");
		json_field(f, "detail", c->detail, ", ");
		json_field(f, "fix", c->fix, "");
		fprintf(f, "}%s\n", i + 1 < r->n ? "," : "");
	}
	fputs("  ]\n}\n", f);
}
