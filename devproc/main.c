/* ktstr-devproc: parse the spawner's arguments, enter the role's sandbox, say hello over
 * ipc, then run the role. A failure is sent to vmm as an IPC error (vmm reports it once). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devproc/devproc.h"
#include "initgen/initgen.h"


/* Sandboxed processes cannot run LeakSanitizer's ptrace-based scan at exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

/* initgen is no device, but it is sandboxed the same way and lives in the same binary. */
static int run_initgen(struct devproc_ctx *ctx, struct kerr *err)
{
	return initgen_serve(&ctx->ipc, err);
}

static const devproc_role_fn role_fns[SANDBOX_ROLE_END] = {
	[SANDBOX_ROLE_BLK] = devproc_blk_run,
	[SANDBOX_ROLE_NET] = devproc_net_run,
	[SANDBOX_ROLE_CONSOLE] = devproc_console_run,
	[SANDBOX_ROLE_SERIAL] = devproc_serial_run,
	[SANDBOX_ROLE_INITGEN] = run_initgen,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ktstr-devproc --role blk|net|console|serial|initgen --sandbox off|audit|standard|strict\n"
		   "                     [--uid UID --gid GID] [--log-fd [--log-limit BYTES] [--log-terminal]]\n"
		   "Started by ktstr-vmm with its fds in place (ipc on fd %d); not meant to be run by hand.\n",
		IPC_FD_CHANNEL);
}

static int parse_log_limit(const char *s, unsigned long long *out, struct kerr *err)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || *out == 0)
		return kerr_set(err, EINVAL, "--log-limit: \"%s\" is not a positive number of bytes", s);
	return 0;
}

static int parse_id(const char *opt, const char *s, unsigned *out, struct kerr *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v >= UINT_MAX)
		return kerr_set(err, EINVAL, "%s: \"%s\" is not a numeric id", opt, s);
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct devproc_ctx *ctx, struct kerr *err)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { "sandbox", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },  { "gid", required_argument, NULL, 'g' },
		{ "log-fd", no_argument, NULL, 'l' },     { "help", no_argument, NULL, 'h' },
		{ "log-limit", required_argument, NULL, 'L' }, { "log-terminal", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	enum sandbox_role role = 0;
	enum sandbox_level level = SANDBOX_STANDARD;
	unsigned uid = UINT_MAX, gid = UINT_MAX;
	unsigned long long log_limit = 0;
	int c, r = 0;

	ctx->log_fd = -1;
	ctx->log_terminal = false;
	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (sandbox_role_parse(optarg, &role) < 0)
				r = kerr_set(err, EINVAL, "--role: unknown role \"%s\"", optarg);
			break;
		case 's':
			if (sandbox_level_parse(optarg, &level) < 0)
				r = kerr_set(err, EINVAL, "--sandbox: unknown level \"%s\"", optarg);
			break;
		case 'u': r = parse_id("--uid", optarg, &uid, err); break;
		case 'g': r = parse_id("--gid", optarg, &gid, err); break;
		case 'l': ctx->log_fd = IPC_FD_LOG; break;
		case 'L': r = parse_log_limit(optarg, &log_limit, err); break;
		case 't': ctx->log_terminal = true; break;
		case 'h': usage(stdout); exit(0);
		default: r = kerr_set(err, EINVAL, "unknown or malformed option"); break;
		}
	}
	if (r == 0 && optind < argc)
		r = kerr_set(err, EINVAL, "unexpected argument \"%s\"", argv[optind]);
	if (r == 0 && role == 0)
		r = kerr_set(err, EINVAL, "--role is required");
	if (r < 0)
		return r;
	sandbox_spec_init(&ctx->spec, role, level);
	if (uid != UINT_MAX)
		ctx->spec.uid = uid;
	if (gid != UINT_MAX)
		ctx->spec.gid = gid;
	ctx->spec.ipc_fd = IPC_FD_CHANNEL;
	/* The log is the only file a log-writing role writes: RLIMIT_FSIZE caps it, for the
	 * serial and console devices together (they append to the same file). */
	if (log_limit)
		ctx->spec.fsize_limit = log_limit;
	return 0;
}

static void report_error(struct devproc_ctx *ctx, const struct kerr *e)
{
	struct ipc_error m = { .code = e->code > 0 ? e->code : EIO };
	struct kerr ignored;

	snprintf(m.text, sizeof(m.text), "%s", e->msg);
	if (ipc_send(&ctx->ipc, IPC_MSG_ERROR, &m, NULL, &ignored) < 0)
		fprintf(stderr, "ktstr-devproc: %s\n", e->msg);
}

static int run_role(struct devproc_ctx *ctx, struct kerr *err)
{
	devproc_role_fn fn = role_fns[ctx->spec.role];
	struct ipc_hello hello = { .role = ctx->spec.role };
	int r;

	ctx->keep_fds[0] = 2;
	ctx->keep_fds[1] = IPC_FD_CHANNEL;
	ctx->keep_fds[2] = ctx->log_fd;
	ctx->spec.keep_fds = ctx->keep_fds;
	ctx->spec.n_keep_fds = ctx->log_fd >= 0 ? 3 : 2;
	/* A peer that went away (the stats socket) must be an error, not a fatal signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((r = sandbox_enter(&ctx->spec, err)) < 0)
		return r;
	if (!fn)
		return kerr_set(err, ENOSYS, "device role %s is not implemented yet",
				sandbox_role_name(ctx->spec.role));
	hello.pid_in_namespace = (uint32_t)getpid();
	if ((r = ipc_send(&ctx->ipc, IPC_MSG_HELLO, &hello, NULL, err)) < 0)
		return r;
	return fn(ctx, err);
}

int main(int argc, char **argv)
{
	struct devproc_ctx ctx;
	struct kerr err = { 0 };

	if (parse_args(argc, argv, &ctx, &err) < 0) {
		fprintf(stderr, "ktstr-devproc: %s\n", err.msg);
		usage(stderr);
		return 2;
	}
	ipc_channel_init(&ctx.ipc, IPC_FD_CHANNEL, (enum ipc_peer)ctx.spec.role, IPC_PEER_VMM);
	if (run_role(&ctx, &err) < 0) {
		report_error(&ctx, &err);
		return 1;
	}
	return 0;
}
