/* An error with its context, filled where it happens and printed once at the top.
 * It lives in ipc/ because errors also cross process boundaries (IPC_MSG_ERROR). */
#ifndef KTSTR_IPC_ERR_H
#define KTSTR_IPC_ERR_H

#define KERR_MSG_MAX 512

struct kerr {
	int code;                /* positive errno value, 0 when no error */
	char msg[KERR_MSG_MAX];  /* what failed and the value that caused it */
};

/* Records an error and returns -code, so a caller can `return kerr_set(...)`. */
int kerr_set(struct kerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like kerr_set, with ": strerror(code)" appended. */
int kerr_errno(struct kerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "context: " to an error already set; returns -e->code. */
int kerr_wrap(struct kerr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
