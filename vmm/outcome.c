/* Collecting and judging a run's outcome; see outcome.h. */
#include "vmm/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/tlv.h"
#include "policy/sandbox.h"
#include "vmm/json.h"

void outcome_init(struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->ms_first_run_to_init = o->ms_init_to_end = -1;
}

void outcome_free(struct outcome *o)
{
	for (int k = 0; k < IPC_TEXT_KIND_END; k++)
		free(o->text[k].data);
	memset(o->text, 0, sizeof(o->text));
	frame_log_free(&o->frames);
}

static void text_append(struct outcome_text *t, const char *data, size_t len)
{
	size_t want;

	if (t->truncated)
		return;
	if (t->len + len > OUTCOME_TEXT_MAX) {
		len = OUTCOME_TEXT_MAX - t->len;
		t->truncated = true;
	}
	if (!t->data) {
		t->data = malloc(OUTCOME_TEXT_MAX);
		if (!t->data) {
			t->truncated = true;
			return;
		}
	}
	want = len;
	memcpy(t->data + t->len, data, want);
	t->len += want;
}

/* The first intact SCDX frame: the scheduler ended while the payload ran (ktstr-init says
 * how, and what the kernel logged when it disabled it). */
static void take_scheduler_exit(struct outcome *o, const struct frame *f)
{
	size_t n = f->len < sizeof(o->scheduler_exit) - 1 ? f->len : sizeof(o->scheduler_exit) - 1;

	if (o->scheduler_died)
		return;
	o->scheduler_died = true;
	memcpy(o->scheduler_exit, frame_log_data(&o->frames, f), n);
	o->scheduler_exit[n] = '\0';
}

/* An intact EXIT frame of 4 bytes holding 0..255 is a status; anything else stays a frame. */
static void take_frame(struct outcome *o, const struct ipc_guest_frame *chunk)
{
	const struct frame *f = frame_log_take(&o->frames, chunk);
	const uint8_t *d;
	uint32_t v;

	if (f && f->type == TLV_SCDX && f->crc_ok)
		take_scheduler_exit(o, f);
	if (!f || f->type != TLV_EXIT || !f->crc_ok || f->len != 4)
		return;
	d = frame_log_data(&o->frames, f);
	v = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	if (v <= IPC_EXIT_STATUS_MAX) {
		o->have_tlv_exit = true;
		o->tlv_exit_status = (int)v;
	}
}

void outcome_take(struct outcome *o, const struct ipc_msg *m)
{
	if (m->type == IPC_MSG_GUEST_FRAME) {
		take_frame(o, &m->body.guest_frame);
		return;
	}
	if (m->type == IPC_MSG_GUEST_EXIT) {
		o->have_exit = true;
		o->exit_status = m->body.guest_exit.status;   /* the last report counts */
	} else if (m->type == IPC_MSG_GUEST_MILESTONE) {
		if (m->body.guest_milestone.milestone == IPC_MILESTONE_INIT_START && !o->saw_init_start) {
			o->saw_init_start = true;
			clock_gettime(CLOCK_MONOTONIC, &o->init_start);
		}
	} else if (m->type == IPC_MSG_GUEST_TEXT) {
		const struct ipc_guest_text *g = &m->body.guest_text;
		struct outcome_text *t = &o->text[g->kind];

		text_append(t, g->data, g->len);
		if ((g->flags & IPC_TEXT_LAST) && t->pieces < OUTCOME_MAX_BLOCKS - 1)
			t->piece_start[++t->pieces] = t->len;
		else if ((g->flags & IPC_TEXT_LAST))
			t->truncated = true;
	}
}

void outcome_add_device(struct outcome *o, const char *name, const struct ipc_device_stats *s)
{
	struct outcome_device *d;

	if (o->n_devices >= OUTCOME_MAX_DEVICES)
		return;
	d = &o->devices[o->n_devices++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->stats = *s;
}

bool outcome_piece(const struct outcome *o, enum ipc_text_kind kind, unsigned n,
		   const char **data, size_t *len)
{
	const struct outcome_text *t = &o->text[kind];
	size_t start, end;

	if (n > t->pieces)
		return false;
	start = t->piece_start[n];
	end = n < t->pieces ? t->piece_start[n + 1] : t->len;
	if (n == t->pieces && start == end)
		return false;   /* no unfinished piece */
	*data = t->data ? t->data + start : "";
	*len = end - start;
	return true;
}

bool outcome_kernel_panicked(const struct outcome *o)
{
	return o->text[IPC_TEXT_KERNEL_PANIC].len > 0;
}

/* A host error outranks everything; a kernel panic outranks a reported status (a payload
 * that reported 0 and then crashed the kernel did not pass), and so does a scheduler that
 * died under the payload (the test did not run under it to the end); then the status; then
 * how the VM ended. */
int outcome_exit_code(const struct outcome *o)
{
	if (o->end == VM_END_HOST_ERROR || o->end == VM_END_SIGNAL)
		return VMM_EXIT_HOST_ERROR;
	if (outcome_kernel_panicked(o))
		return VMM_EXIT_PANIC;
	if (o->scheduler_died)
		return VMM_EXIT_SCHEDULER_DIED;
	if (o->have_exit)
		return o->exit_status;
	if (o->have_tlv_exit)
		return o->tlv_exit_status;
	if (o->end == VM_END_TIMEOUT)
		return VMM_EXIT_TIMEOUT;
	return VMM_EXIT_NO_RESULT;
}

const char *outcome_name(const struct outcome *o)
{
	if (o->end == VM_END_HOST_ERROR)
		return "host_error";
	if (o->end == VM_END_SIGNAL)
		return "interrupted";
	if (outcome_kernel_panicked(o))
		return "kernel_panic";
	if (o->scheduler_died)
		return "scheduler_died";
	if (o->have_exit || o->have_tlv_exit)
		return "exited";
	if (o->end == VM_END_TIMEOUT)
		return "timeout";
	return "no_result";
}

static void write_pieces(FILE *f, const struct outcome *o, enum ipc_text_kind kind)
{
	const char *data;
	size_t len;

	fputc('[', f);
	for (unsigned n = 0; outcome_piece(o, kind, n, &data, &len); n++) {
		if (n)
			fputs(", ", f);
		json_string(f, data, len);
	}
	fputc(']', f);
}

static void write_ms(FILE *f, const char *name, double ms)
{
	if (ms < 0)
		fprintf(f, "\"%s\": null", name);
	else
		fprintf(f, "\"%s\": %.3f", name, ms);
}

static void write_devices(FILE *f, const struct outcome *o)
{
	fputs("  \"devices\": [", f);
	for (unsigned i = 0; i < o->n_devices; i++) {
		const struct ipc_device_stats *d = &o->devices[i].stats;

		fprintf(f, "%s{ \"name\": \"%s\", \"role\": \"%s\", \"requests\": %llu, \"bad_requests\": %llu, "
			"\"bytes_read\": %llu, \"bytes_written\": %llu, \"throttled_ms\": %llu, \"dropped\": %llu, "
			"\"tlv_frames\": %llu, \"tlv_crc_errors\": %llu, \"tlv_garbage_bytes\": %llu }",
			i ? ", " : "", o->devices[i].name, sandbox_role_name((enum sandbox_role)d->role),
			(unsigned long long)d->requests, (unsigned long long)d->bad_requests,
			(unsigned long long)d->bytes_read, (unsigned long long)d->bytes_written,
			(unsigned long long)d->throttled_ms, (unsigned long long)d->dropped,
			(unsigned long long)d->tlv_frames, (unsigned long long)d->tlv_crc_errors,
			(unsigned long long)d->tlv_garbage);
	}
	fputs("],\n", f);
}

void outcome_add_device_fault(struct outcome *o, const char *what)
{
	if (o->n_device_faults < sizeof(o->device_faults) / sizeof(o->device_faults[0]))
		snprintf(o->device_faults[o->n_device_faults++], sizeof(o->device_faults[0]), "%s", what);
}

static void write_device_faults(FILE *f, const struct outcome *o)
{
	fputs(",\n  \"device_faults\": [", f);
	for (unsigned i = 0; i < o->n_device_faults; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, o->device_faults[i], strlen(o->device_faults[i]));
	}
	fputc(']', f);
}

/* A member holding text, or null when there is none; ends its line with the comma. */
static void write_text_or_null(FILE *f, const char *name, const char *text)
{
	fprintf(f, "  \"%s\": ", name);
	if (text)
		json_string(f, text, strlen(text));
	else
		fputs("null", f);
	fputs(",\n", f);
}

static void write_body(FILE *f, const struct outcome *o)
{
	fprintf(f, "{\n  \"outcome\": \"%s\",\n  \"exit_code\": %d,\n", outcome_name(o),
		outcome_exit_code(o));
	if (o->have_exit)
		fprintf(f, "  \"guest_exit_status\": %d,\n", o->exit_status);
	else
		fputs("  \"guest_exit_status\": null,\n", f);
	if (o->have_tlv_exit)
		fprintf(f, "  \"tlv_exit_status\": %d,\n", o->tlv_exit_status);
	else
		fputs("  \"tlv_exit_status\": null,\n", f);
	write_text_or_null(f, "host_cpus", o->host_cpus[0] ? o->host_cpus : NULL);
	write_text_or_null(f, "scheduler_exit", o->scheduler_died ? o->scheduler_exit : NULL);
	fputs("  \"detail\": ", f);
	json_string(f, o->end_detail, strlen(o->end_detail));
	fputs(",\n  \"results\": ", f);
	write_pieces(f, o, IPC_TEXT_RESULT);
	fputs(",\n  \"panics\": ", f);
	write_pieces(f, o, IPC_TEXT_PANIC);
	fputs(",\n  \"kernel_panic\": ", f);
	write_pieces(f, o, IPC_TEXT_KERNEL_PANIC);
	fprintf(f, ",\n  \"truncated\": %s,\n",
		(o->text[IPC_TEXT_RESULT].truncated || o->text[IPC_TEXT_PANIC].truncated ||
		 o->text[IPC_TEXT_KERNEL_PANIC].truncated) ? "true" : "false");
	frame_log_write_json(f, &o->frames, o->profraw_dir);
	write_devices(f, o);
	fprintf(f, "  \"timings_ms\": { \"start_to_first_run\": %.3f, \"running\": %.3f, ",
		o->ms_to_first_run, o->ms_running);
	write_ms(f, "first_run_to_init", o->ms_first_run_to_init);
	fputs(", ", f);
	write_ms(f, "init_to_end", o->ms_init_to_end);
	if (o->built_initramfs)
		fprintf(f, ", \"initramfs\": %.3f", o->ms_initramfs);
	fputs(" }", f);
	if (o->built_initramfs)
		fprintf(f, ",\n  \"initramfs\": { \"cache_hit\": %s, \"bytes\": %llu }",
			o->initramfs_cache_hit ? "true" : "false", (unsigned long long)o->initramfs_bytes);
	if (o->kernel_boot[0]) {
		fprintf(f, ",\n  \"kernel_boot\": { \"direct\": %s, \"detail\": ", o->kernel_direct ? "true" : "false");
		json_string(f, o->kernel_boot, strlen(o->kernel_boot));
		fputs(" }", f);
	}
	write_device_faults(f, o);
	perf_write_json(f, &o->performance);
	if (o->console_log_file)
		fprintf(f, ",\n  \"console_log\": { \"bytes\": %llu, \"limit_bytes\": %llu, "
			"\"truncated\": %s }", (unsigned long long)o->console_log_bytes,
			(unsigned long long)o->console_log_limit, o->console_log_truncated ? "true" : "false");
	fputs("\n}\n", f);
}

/* Written to PATH.tmp and renamed, so a reader never sees half a file. */
int outcome_write_json(const struct outcome *o, const char *path, struct kerr *err)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return kerr_set(err, ENAMETOOLONG, "--results %s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return kerr_errno(err, errno, "--results: create %s", tmp);
	write_body(f, o);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		fclose(f);
		unlink(tmp);
		return kerr_errno(err, errno, "--results: write %s", tmp);
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return kerr_errno(err, errno, "--results: rename %s to %s", tmp, path);
	}
	return 0;
}
