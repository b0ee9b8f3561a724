/* Option parsing for ktstr-vmm. Every option's value is checked here, and an error names
 * the option and the value. */
#include "vmm/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef KTSTR_VERSION
#define KTSTR_VERSION "0.0.0-dev"
#endif

void cli_print_version(void)
{
	printf("ktstr-vmm %s\n", KTSTR_VERSION);
}

void cli_print_help(void)
{
	printf("usage: ktstr-vmm [OPTIONS]\n"
	       "\n"
	       "A KVM test VMM whose every guest-facing component runs sandboxed.\n"
	       "\n"
	       "  --sandbox LEVEL   off | audit | standard | strict (default standard)\n"
	       "  --help            this text\n"
	       "  --version         the version\n"
	       "\n"
	       "Booting a kernel is not implemented yet.\n"
	       "\n"
	       "Exit status:\n"
	       "  %d  usage error (bad option or value)\n",
	       VMM_EXIT_USAGE);
}

int cli_parse(int argc, char **argv, struct vmm_config *cfg, struct kerr *err)
{
	static const struct option opts[] = {
		{ "sandbox", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->sandbox = SANDBOX_STANDARD;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (sandbox_level_parse(optarg, &cfg->sandbox) < 0)
				return kerr_set(err, EINVAL, "--sandbox: \"%s\" is not one of off, audit, "
						"standard, strict", optarg);
			break;
		case 'h': cfg->show_help = true; break;
		case 'V': cfg->show_version = true; break;
		case ':':
			return kerr_set(err, EINVAL, "%s: needs a value", argv[optind - 1]);
		default:
			return kerr_set(err, EINVAL, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return kerr_set(err, EINVAL, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}
