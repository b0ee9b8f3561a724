/* The ktstr-vmm command line: parsed and validated into a config before anything runs. */
#ifndef KTSTR_VMM_CLI_H
#define KTSTR_VMM_CLI_H

#include <stdbool.h>

#include "ipc/err.h"
#include "policy/sandbox.h"

struct vmm_config {
	enum sandbox_level sandbox;
	bool show_help;
	bool show_version;
};

/* Exit statuses of ktstr-vmm (also documented in --help and the README). */
#define VMM_EXIT_USAGE 2

int cli_parse(int argc, char **argv, struct vmm_config *cfg, struct kerr *err);
void cli_print_help(void);
void cli_print_version(void);

#endif
