/* ipc/: the typed, validated channel between ktstr processes. The front door. */
#ifndef KTSTR_IPC_H
#define KTSTR_IPC_H

#include "ipc/bell.h"
#include "ipc/channel.h"
#include "ipc/err.h"
#include "ipc/msg.h"
#include "ipc/ring.h"
#include "ipc/visible.h"

#endif
