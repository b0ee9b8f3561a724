/* ktstr-vmm: parse the command line, run, and turn the outcome into an exit status.
 * Errors are reported here, once, with their context. */
#include <stdio.h>

#include "vmm/cli.h"

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	struct kerr err = { 0 };

	if (cli_parse(argc, argv, &cfg, &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s (see --help)\n", err.msg);
		return VMM_EXIT_USAGE;
	}
	if (cfg.show_help) {
		cli_print_help();
		return 0;
	}
	if (cfg.show_version) {
		cli_print_version();
		return 0;
	}
	fprintf(stderr, "ktstr-vmm: nothing to do: booting a kernel is not implemented yet (see --help)\n");
	return VMM_EXIT_USAGE;
}
