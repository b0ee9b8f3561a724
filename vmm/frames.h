/* The TLV frames a run's payload sent (reassembled from the console device's chunks), for
 * --results JSON and --profraw-dir. Memory is bounded: past OUTCOME_FRAMES_MAX frames or
 * FRAMES_BYTES_MAX bytes the rest is cut and the log says so. */
#ifndef KTSTR_VMM_FRAMES_H
#define KTSTR_VMM_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipc/ipc.h"

#define FRAMES_MAX       4096u
#define FRAMES_BYTES_MAX (64u << 20)

struct frame {
	uint32_t type;
	bool crc_ok;
	bool complete;
	size_t start, len;      /* in frame_log.data */
};

struct frame_log {
	struct frame *frame;    /* FRAMES_MAX entries, allocated on the first frame */
	unsigned n;
	uint8_t *data;
	size_t len, cap;
	bool truncated;
};

/* Takes one validated chunk; returns the frame it completed, else NULL. */
const struct frame *frame_log_take(struct frame_log *l, const struct ipc_guest_frame *chunk);

const uint8_t *frame_log_data(const struct frame_log *l, const struct frame *f);

/* "frames": [...] and "frames_truncated" for --results; PRAW frames are named by the file
 * they were written to (profraw_dir NULL: none). */
void frame_log_write_json(FILE *f, const struct frame_log *l, const char *profraw_dir);

/* Writes every complete PRAW frame to DIR/ktstr-N.profraw. */
int frame_log_write_profraw(const struct frame_log *l, const char *dir, struct kerr *err);

void frame_log_free(struct frame_log *l);

#endif
