/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helpers/natspub.h - events to NATS JetStream, for xk-drain (natspub.c).
 */
#ifndef XK_NATSPUB_H
#define XK_NATSPUB_H

#include <stddef.h>

struct np;

struct np_stats {
	unsigned long long published; /* handed to the client */
	unsigned long long acked;     /* stored by the stream (duplicates included) */
	unsigned long long duplicates;/* acknowledged as a duplicate: a resend the server had */
	unsigned long long resent;    /* sent again after a timeout or a reconnect */
	unsigned long long over;      /* dropped: the unacknowledged bytes were at the bound */
	unsigned long long failed;    /* refused by the client or the server, not resent */
	unsigned long long unacked;   /* still unacknowledged at the end: lost */
};

/* Connect to URL, make sure stream STREAM takes PREFIX.> (created when
 * missing: file storage, a 2-minute duplicate window), and publish to
 * PREFIX.HOST.SCOPE.TYPE. At most MAX_PENDING bytes wait unacknowledged.
 * Messages are printed on stderr after LABEL. 0 or -1. */
int np_open(struct np **p, const char *url, const char *prefix, const char *stream,
	    const char *scope, const char *type, size_t max_pending, const char *label);

/* Publish one message (a JSON line, without its newline). 0, or -1 when it
 * was dropped (counted). */
int np_publish(struct np *p, const char *data, size_t len);

/* Resend what waits for an acknowledgement after a reconnect; call it from
 * the main loop. */
void np_tick(struct np *p);

/* Wait at most WAIT_MS for the acknowledgements, count what is left as
 * unacked, close, free. */
void np_close(struct np *p, int wait_ms, struct np_stats *st);

/* Print the messages of STREAM (from the first, or those on SUBJECT) as
 * lines on stdout until COUNT were printed (0: no limit) or none came for
 * IDLE_MS (0: wait for good). 0 or 1. */
int np_read(const char *url, const char *stream, const char *subject,
	    unsigned long long count, int idle_ms, const char *label);

#endif
