/* The main thread while the guest runs: starts the vCPUs, waits for the end (a guest reset,
 * the timeout, a signal, a device failing), collects what the devices report, and stops and
 * reaps everything. */
#ifndef KTSTR_VMM_SUPERVISE_H
#define KTSTR_VMM_SUPERVISE_H

#include "vmm/vm.h"

int supervise_run(struct vm *vm, struct outcome *outcome, struct kerr *err);

#endif
