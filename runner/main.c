/* ktstr-run: runs a suite of tests as concurrent ktstr-vmm VMs and reports them as TAP (stdout),
 * JUnit XML and JSON. The suite format is docs/suite-format.md. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/exec.h"
#include "runner/merge.h"
#include "runner/select.h"
#include "vmm/cli.h"
#include "vmm/host/host_topology.h"

#define MAX_FILTERS 32

struct options {
	const char *suite, *junit, *json, *work_dir, *vmm, *kernel;
	const char *filters[MAX_FILTERS];
	unsigned n_filters, jobs, retries, shard, shards;
	bool list, merge;
	char **inputs;                /* --merge's reports */
	unsigned n_inputs;
};

static void usage(FILE *f)
{
	fputs("usage: ktstr-run [OPTIONS] SUITE\n"
	      "Runs the suite's tests (docs/suite-format.md) as concurrent ktstr-vmm VMs, each sandboxed\n"
	      "as a single run is, and prints TAP on stdout (for prove). SUITE may also be a directory: each\n"
	      "executable file in it is a test of its name (no arguments, status 0 passes).\n"
	      "  -j, --jobs N        VMs at once (default: what fits, the usable host CPUs over the\n"
	      "                      smallest test's vCPUs); each VM waits until its CPUs are free\n"
	      "                      and reserves them (--cpu-cap), so VMs never share CPUs\n"
	      "  --kernel K          the kernel of tests that name none\n"
	      "  --filter PATTERN    only tests whose name matches the shell pattern, or tag:TAG;\n"
	      "                      repeatable (a test runs when one matches)\n"
	      "  --shard I/N         only shard I (from 0) of N, chosen by each test's name\n"
	      "  --list              print the tests selected (name, shard of N, tags) and exit\n"
	      "  --retries N         runs after an infrastructure failure (host error, a guest gone\n"
	      "                      before its console said anything); default 1, never for a\n"
	      "                      test's own failure\n"
	      "  --junit FILE        JUnit XML report\n"
	      "  --json FILE         every outcome as JSON\n"
	      "  --work-dir DIR      keep each test's --results, console log and stderr here\n"
	      "                      (default: a new directory under /tmp, named at the end)\n"
	      "  --vmm PATH          the ktstr-vmm to run (default: the one next to ktstr-run)\n"
	      "   or: ktstr-run --merge [--junit FILE] [--json FILE] REPORT...\n"
	      "Merges the --junit and --json reports of several shards into one of each.\n"
	      "Exit status: 0 every test passed, 1 some failed, 2 usage or suite error, 128+N stopped\n"
	      "by signal N (SIGINT, SIGTERM, SIGHUP: the running VMs are ended, the reports written).\n", f);
}

static int parse_unsigned(const char *opt, const char *v, unsigned min, unsigned max, unsigned *out,
			  struct kerr *err)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < min || n > max)
		return kerr_set(err, EINVAL, "%s: \"%s\" is not a number in %u..%u", opt, v, min, max);
	*out = (unsigned)n;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o, struct kerr *err)
{
	enum { O_KERNEL = 256, O_FILTER, O_SHARD, O_LIST, O_RETRIES, O_JUNIT, O_JSON, O_WORK, O_VMM, O_MERGE };
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' }, { "kernel", required_argument, NULL, O_KERNEL },
		{ "filter", required_argument, NULL, O_FILTER }, { "shard", required_argument, NULL, O_SHARD },
		{ "list", no_argument, NULL, O_LIST }, { "retries", required_argument, NULL, O_RETRIES },
		{ "junit", required_argument, NULL, O_JUNIT }, { "json", required_argument, NULL, O_JSON },
		{ "work-dir", required_argument, NULL, O_WORK }, { "vmm", required_argument, NULL, O_VMM },
		{ "merge", no_argument, NULL, O_MERGE },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, r = 0;

	*o = (struct options){ .retries = 1, .shards = 1 };
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, ":j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': r = parse_unsigned("--jobs", optarg, 1, 1024, &o->jobs, err); break;
		case O_KERNEL: o->kernel = optarg; break;
		case O_FILTER:
			if (o->n_filters == MAX_FILTERS)
				return kerr_set(err, EINVAL, "--filter: at most %d", MAX_FILTERS);
			o->filters[o->n_filters++] = optarg;
			break;
		case O_SHARD: r = select_parse_shard(optarg, &o->shard, &o->shards, err); break;
		case O_LIST: o->list = true; break;
		case O_RETRIES: r = parse_unsigned("--retries", optarg, 0, 10, &o->retries, err); break;
		case O_JUNIT: o->junit = optarg; break;
		case O_JSON: o->json = optarg; break;
		case O_WORK: o->work_dir = optarg; break;
		case O_VMM: o->vmm = optarg; break;
		case O_MERGE: o->merge = true; break;
		case 'h': usage(stdout); exit(0);
		case ':': return kerr_set(err, EINVAL, "%s: needs a value", argv[optind - 1]);
		default: return kerr_set(err, EINVAL, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (r == 0 && o->merge) {
		if (optind == argc || (!o->junit && !o->json))
			return kerr_set(err, EINVAL, "--merge needs reports to merge and --junit or --json to write");
		o->inputs = argv + optind;
		o->n_inputs = (unsigned)(argc - optind);
		return 0;
	}
	if (r == 0 && optind != argc - 1)
		r = kerr_set(err, EINVAL, optind == argc ? "no SUITE given" : "one SUITE only, not \"%s\"",
			     argv[argc - 1]);
	if (r == 0)
		o->suite = argv[optind];
	return r;
}

/* Each test's options through ktstr-vmm's own parser, so a suite says at once what a run would
 * refuse, with its line; and its vCPUs, for sizing. */
static int check_test(const struct options *o, struct suite_test *t, struct kerr *err)
{
	char *argv[2 * SUITE_MAX_ARGS + 8];
	struct vmm_config *cfg = malloc(sizeof(*cfg));
	struct kerr why = { 0 };
	int argc = 0, r;

	if (!cfg)
		return kerr_set(err, ENOMEM, "ktstr-run: out of memory");
	argv[argc++] = (char *)"ktstr-vmm";
	if (o->kernel) {
		argv[argc++] = (char *)"--kernel";
		argv[argc++] = (char *)o->kernel;
	}
	for (unsigned i = 0; i < t->n_opts; i++)
		argv[argc++] = t->opts[i];
	argv[argc++] = (char *)"--";
	for (unsigned i = 0; i < t->n_run; i++)
		argv[argc++] = t->run[i];
	argv[argc] = NULL;
	r = cli_parse(argc, argv, cfg, &why);
	if (r == 0)
		t->cpus = topology_cpus(&cfg->topo);
	else
		kerr_set(err, EINVAL, "%s:%u: [%s]: %s", o->suite, t->line, t->name, why.msg);
	free(cfg);
	return r < 0 ? -EINVAL : 0;
}

static bool selected(const struct options *o, const struct suite_test *t)
{
	bool any = o->n_filters == 0;

	for (unsigned i = 0; i < o->n_filters && !any; i++)
		any = select_matches(t, o->filters[i]);
	return any && select_shard_of(t->name, o->shards) == o->shard;
}

static int write_report(const char *path, const struct options *o, const struct run_result *r,
			unsigned n, bool junit, struct kerr *err)
{
	FILE *f = fopen(path, "we");
	char name[PATH_MAX];

	if (!f)
		return kerr_errno(err, errno, "%s %s", junit ? "--junit" : "--json", path);
	snprintf(name, sizeof(name), "%s", o->suite);
	if (junit)
		report_junit(f, basename(name), r, n);
	else
		report_json(f, r, n);
	if (fclose(f) != 0)
		return kerr_errno(err, errno, "write %s", path);
	return 0;
}

/* ktstr-vmm next to this program. */
static void default_vmm(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	snprintf(out, size, "%s/ktstr-vmm", n > 0 ? dirname(self) : ".");
}

static unsigned host_cpus(void)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };
	unsigned n = 1;

	if (t && host_topology_read("/", t, &err) == 0)
		n = t->ncpus;
	free(t);
	return n;
}

static void list_tests(const struct options *o, const struct run_result *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		printf("%s\tshard %u/%u", r[i].test->name, o->shard, o->shards);
		for (unsigned k = 0; k < r[i].test->n_tags; k++)
			printf("%s%s", k ? " " : "\ttags ", r[i].test->tags[k]);
		putchar('\n');
	}
}

static int run(const struct options *o, struct suite *s, struct kerr *err)
{
	struct run_result *r = calloc(s->n ? s->n : 1, sizeof(*r));
	char vmm[PATH_MAX], work[] = "/tmp/ktstr-run.XXXXXX";
	struct exec_config ec = { .kernel = o->kernel, .retries = o->retries, .host_cpus = host_cpus(),
				  .progress = isatty(2) == 1 };
	unsigned n = 0, smallest = ~0u, failed = 0;
	int rc = 0, interrupted = 0;

	if (!r)
		return kerr_set(err, ENOMEM, "ktstr-run: out of memory");
	for (unsigned i = 0; i < s->n && rc == 0; i++) {
		if (!selected(o, &s->tests[i]))
			continue;
		rc = check_test(o, &s->tests[i], err);
		r[n++].test = &s->tests[i];
		if (s->tests[i].cpus < smallest)
			smallest = s->tests[i].cpus ? s->tests[i].cpus : 1;
	}
	if (rc == 0 && o->list)
		list_tests(o, r, n);
	if (rc < 0 || o->list) {
		free(r);
		return rc < 0 ? rc : 0;
	}
	default_vmm(vmm, sizeof(vmm));
	ec.vmm = o->vmm ? o->vmm : vmm;
	/* as many as the smallest VMs fill the host; each VM waits for its own CPUs to be free */
	ec.jobs = o->jobs ? o->jobs : (smallest != ~0u && ec.host_cpus > smallest ? ec.host_cpus / smallest : 1);
	if (o->work_dir && mkdir(o->work_dir, 0755) < 0 && errno != EEXIST)
		rc = kerr_errno(err, errno, "--work-dir %s", o->work_dir);
	else if (!(ec.work_dir = o->work_dir ? o->work_dir : mkdtemp(work)))
		rc = kerr_errno(err, errno, "ktstr-run: make %s", work);
	if (rc == 0 && n && (rc = exec_suite(&ec, r, n, err)) > 0) {
		interrupted = rc;
		rc = 0;
	}
	if (rc == 0) {
		report_tap(stdout, r, n);
		fflush(stdout);
	}
	if (rc == 0 && o->junit)
		rc = write_report(o->junit, o, r, n, true, err);
	if (rc == 0 && o->json)
		rc = write_report(o->json, o, r, n, false, err);
	for (unsigned i = 0; i < n; i++) {
		failed += r[i].ran && !r[i].passed;
		run_result_free(&r[i]);
	}
	if (rc == 0)
		fprintf(stderr, "ktstr-run: %u of %u passed, %u failed, %u VMs at once; logs in %s\n",
			n - failed, n, failed, ec.jobs, ec.work_dir);
	free(r);
	if (rc == 0 && interrupted)
		return 128 + interrupted;   /* as a shell reports a signal */
	return rc < 0 ? rc : failed ? 1 : 0;
}

static int merge(const struct options *o)
{
	struct merge_totals t;
	struct kerr err = { 0 };

	if (merge_reports(o->inputs, o->n_inputs, o->junit, o->json, &t, &err) < 0) {
		fprintf(stderr, "ktstr-run: %s\n", err.msg);
		return 2;
	}
	fprintf(stderr, "ktstr-run: merged %u reports: %u tests, %u failed, %u not run\n", t.files,
		t.tests, t.failures, t.skipped);
	return t.failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct suite s;
	struct stat st;
	struct kerr err = { 0 };
	int r;

	if (parse_options(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "ktstr-run: %s (ktstr-run --help)\n", err.msg);
		return 2;
	}
	if (o.merge)
		return merge(&o);
	if (!o.suite) {   /* parse_options sets it whenever it returns 0 without --merge */
		usage(stderr);
		return 2;
	}
	if (stat(o.suite, &st) == 0 && S_ISDIR(st.st_mode) ? suite_from_dir(o.suite, &s, &err) < 0
							     : suite_load(o.suite, &s, &err) < 0) {
		fprintf(stderr, "ktstr-run: %s\n", err.msg);
		return 2;
	}
	r = run(&o, &s, &err);
	if (r < 0)
		fprintf(stderr, "ktstr-run: %s\n", err.msg);
	suite_free(&s);
	return r < 0 ? 2 : r;
}
