// SPDX-License-Identifier: GPL-2.0
/*
 * helpers/natspub.c - xk-drain's events to NATS JetStream (libnats), and
 * back out of a stream as JSON lines.
 *
 * Publishing is asynchronous: each message carries a Nats-Msg-Id of host,
 * boot id, the run's start and a sequence, so that the stream (duplicate
 * window 2 minutes) drops a message it already has. A message whose
 * acknowledgement times out (5 s) is sent again; after a reconnect, every
 * message still unacknowledged is sent again (the server may have stored
 * it before it went away: then it is acknowledged as a duplicate). While
 * disconnected, the client buffers what is published. At most max_pending
 * bytes wait unacknowledged: beyond that a message is dropped and counted
 * ("over"). Whatever is unacknowledged when the run ends is counted too.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nats/nats.h>

#include "natspub.h"

#define ACK_WAIT_MS 5000
#define DUP_WINDOW_NS 120000000000LL

struct np {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	char subject[600];
	char idbase[300];
	char id[340];
	unsigned long long seq;
	size_t max_pending;
	const char *label;
	bool said_failed;
	/* shared with the client's threads: __atomic */
	size_t pending;
	int reconnected, closing;
	unsigned long long published, acked, duplicates, resent, over, failed;
};

static void add(unsigned long long *c, unsigned long long n) { __atomic_add_fetch(c, n, __ATOMIC_RELAXED); }

static void pending_sub(struct np *p, size_t n) { __atomic_sub_fetch(&p->pending, n, __ATOMIC_RELAXED); }

/* One line: what, the status, and the library's last error when it says more. */
static int np_fail(const char *label, const char *what, natsStatus s)
{
	const char *last = nats_GetLastError(NULL);

	/* without the library's "(file.c:line): " */
	if (last && *last == '(' && strstr(last, "): "))
		last = strstr(last, "): ") + 3;
	if (last && *last && strcmp(last, natsStatus_GetText(s)))
		fprintf(stderr, "%s: NATS: %s: %s\n", label, what, last);
	else
		fprintf(stderr, "%s: NATS: %s: %s\n", label, what, natsStatus_GetText(s));
	return -1;
}

/* A subject token: [A-Za-z0-9_-], anything else '_'. */
static void token(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++) {
		char c = src[i];

		dst[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				 c == '_' || c == '-' ? c : '_';
	}
	if (i == 0 && n > 1)
		dst[i++] = '_';
	dst[i] = 0;
}

static void init_pub(jsPubOptions *po)
{
	jsPubOptions_Init(po);
	po->MaxWait = ACK_WAIT_MS;
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct np *p = closure;

	(void)nc;
	__atomic_store_n(&p->reconnected, 1, __ATOMIC_RELAXED);
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct np *p = closure;
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	jsPubOptions po;

	if (pa) {
		add(&p->acked, 1);
		if (pa->Duplicate)
			add(&p->duplicates, 1);
		pending_sub(p, len);
	} else if (pae) {
		init_pub(&po);
		/* the id is in the message's header already */
		if (!__atomic_load_n(&p->closing, __ATOMIC_RELAXED) &&
		    (pae->Err == NATS_TIMEOUT || pae->Err == NATS_NO_RESPONDERS) &&
		    js_PublishMsgAsync(js, &msg, &po) == NATS_OK) {
			add(&p->resent, 1);
		} else {
			add(&p->failed, 1);
			pending_sub(p, len);
		}
	}
	natsMsg_Destroy(msg);
}

/* The boot id, or "-". */
static void boot_id(char *b, size_t n)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	snprintf(b, n, "-");
	if (f) {
		if (fgets(b, (int)n, f))
			b[strcspn(b, "\n")] = 0;
		fclose(f);
	}
}

static natsStatus connect_js(natsOptions **opts, natsConnection **nc, jsCtx **js, const char *url,
			     size_t bufsize, struct np *p)
{
	natsStatus s;
	jsOptions jo;

	s = natsOptions_Create(opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(*opts, url);
	if (s == NATS_OK)
		s = natsOptions_SetName(*opts, "xk-drain");
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(*opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(*opts, 250);
	if (s == NATS_OK && bufsize)
		s = natsOptions_SetReconnectBufSize(*opts, (int)bufsize);
	if (s == NATS_OK && p)
		s = natsOptions_SetReconnectedCB(*opts, on_reconnected, p);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, *opts);
	if (s == NATS_OK) {
		jsOptions_Init(&jo);
		if (p) {
			jo.PublishAsync.AckHandler = on_ack;
			jo.PublishAsync.AckHandlerClosure = p;
			jo.PublishAsync.MaxPending = 1 << 20; /* the bound is in bytes, ours */
		}
		s = natsConnection_JetStream(js, *nc, &jo);
	}
	return s;
}

int np_open(struct np **out, const char *url, const char *prefix, const char *stream,
	    const char *scope, const char *type, size_t max_pending, const char *label)
{
	struct np *p = calloc(1, sizeof(*p));
	char host[256], t1[128], t2[128], t3[128], boot[64], filter[200];
	const char *subjects[1];
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode je = 0;
	natsStatus s;
	struct timespec ts;

	*out = NULL;
	if (!p)
		return fprintf(stderr, "%s: out of memory\n", label), -1;
	p->max_pending = max_pending;
	p->label = label;
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "-");
	host[sizeof(host) - 1] = 0;
	token(t1, sizeof(t1), host);
	token(t2, sizeof(t2), scope);
	token(t3, sizeof(t3), type);
	snprintf(p->subject, sizeof(p->subject), "%s.%s.%s.%s", prefix, t1, t2, t3);
	boot_id(boot, sizeof(boot));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(p->idbase, sizeof(p->idbase), "%s:%s:%lld%09ld:", t1, boot, (long long)ts.tv_sec,
		 ts.tv_nsec);
	s = connect_js(&p->opts, &p->nc, &p->js, url, max_pending + (1u << 20), p);
	if (s != NATS_OK) {
		np_fail(label, url, s);
		goto bad;
	}
	s = js_GetStreamInfo(&si, p->js, stream, NULL, &je);
	if (s == NATS_NOT_FOUND || je == JSStreamNotFoundErr) {
		snprintf(filter, sizeof(filter), "%s.>", prefix);
		subjects[0] = filter;
		jsStreamConfig_Init(&sc);
		sc.Name = stream;
		sc.Subjects = subjects;
		sc.SubjectsLen = 1;
		sc.Storage = js_FileStorage;
		sc.Duplicates = DUP_WINDOW_NS;
		s = js_AddStream(&si, p->js, &sc, NULL, &je);
	} else if (s == NATS_OK && si && si->Config) {
		/* a stream of that name already: it must take our subjects */
		int i;
		bool takes = false;

		snprintf(filter, sizeof(filter), "%s.>", prefix);
		for (i = 0; i < si->Config->SubjectsLen; i++)
			takes |= !strcmp(si->Config->Subjects[i], filter) || !strcmp(si->Config->Subjects[i], ">");
		if (!takes) {
			fprintf(stderr, "%s: NATS: stream %s does not take %s (its subjects are another prefix's: "
				"add %s to it, or give another stream)\n", label, stream, filter, filter);
			jsStreamInfo_Destroy(si);
			goto bad;
		}
	}
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK) {
		np_fail(label, "the stream (is JetStream on? nats-server -js)", s);
		goto bad;
	}
	*out = p;
	return 0;
bad:
	jsCtx_Destroy(p->js);
	natsConnection_Destroy(p->nc);
	natsOptions_Destroy(p->opts);
	free(p);
	return -1;
}

int np_publish(struct np *p, const char *data, size_t len)
{
	jsPubOptions po;
	natsMsg *m = NULL;
	natsStatus s;

	if (__atomic_load_n(&p->pending, __ATOMIC_RELAXED) + len > p->max_pending) {
		p->over++;
		return -1;
	}
	snprintf(p->id, sizeof(p->id), "%s%llu", p->idbase, ++p->seq);
	init_pub(&po);
	po.MsgId = p->id;
	s = natsMsg_Create(&m, p->subject, NULL, data, (int)len);
	/* counted before the acknowledgement can come */
	__atomic_add_fetch(&p->pending, len, __ATOMIC_RELAXED);
	if (s == NATS_OK)
		s = js_PublishMsgAsync(p->js, &m, &po);
	if (s != NATS_OK) {
		pending_sub(p, len);
		natsMsg_Destroy(m);
		p->failed++;
		if (!p->said_failed) {
			np_fail(p->label, "publishing (counted as failed from now on)", s);
			p->said_failed = true;
		}
		return -1;
	}
	p->published++;
	return 0;
}

void np_tick(struct np *p)
{
	natsMsgList l;
	jsPubOptions po;
	int i;

	if (!__atomic_exchange_n(&p->reconnected, 0, __ATOMIC_RELAXED) || !p->published)
		return;
	if (js_PublishAsyncGetPendingList(&l, p->js) != NATS_OK)
		return; /* nothing pending */
	init_pub(&po);
	for (i = 0; i < l.Count; i++) {
		size_t len = (size_t)natsMsg_GetDataLength(l.Msgs[i]);

		if (js_PublishMsgAsync(p->js, &l.Msgs[i], &po) == NATS_OK) {
			add(&p->resent, 1);
		} else {
			add(&p->failed, 1);
			pending_sub(p, len);
		}
	}
	natsMsgList_Destroy(&l);
}

void np_close(struct np *p, int wait_ms, struct np_stats *st)
{
	jsPubOptions po;
	natsMsgList l;
	unsigned long long unacked = 0;
	long long waited = 0;

	memset(st, 0, sizeof(*st));
	if (!p)
		return;
	/* a reconnect near the end: resend, then wait (libnats 3.4 crashes
	 * in these two calls when nothing was ever published asynchronously) */
	while (p->published && waited < wait_ms) {
		np_tick(p);
		jsPubOptions_Init(&po);
		po.MaxWait = 250;
		if (js_PublishAsyncComplete(p->js, &po) == NATS_OK)
			break;
		waited += 250;
	}
	__atomic_store_n(&p->closing, 1, __ATOMIC_RELAXED);
	if (p->published && js_PublishAsyncGetPendingList(&l, p->js) == NATS_OK) {
		unacked = (unsigned long long)l.Count;
		natsMsgList_Destroy(&l);
	}
	jsCtx_Destroy(p->js);
	natsConnection_Destroy(p->nc);
	natsOptions_Destroy(p->opts);
	st->published = p->published;
	st->acked = __atomic_load_n(&p->acked, __ATOMIC_RELAXED);
	st->duplicates = __atomic_load_n(&p->duplicates, __ATOMIC_RELAXED);
	st->resent = __atomic_load_n(&p->resent, __ATOMIC_RELAXED);
	st->over = p->over;
	st->failed = __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
	st->unacked = unacked;
	free(p);
	nats_Close();
}

int np_read(const char *url, const char *stream, const char *subject,
	    unsigned long long count, int idle_ms, const char *label)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode je = 0;
	natsStatus s;
	unsigned long long n = 0;
	int status = 0;

	s = connect_js(&opts, &nc, &js, url, 0, NULL);
	if (s != NATS_OK) {
		status = 1, np_fail(label, url, s);
		goto out;
	}
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverAll;
	s = js_SubscribeSync(&sub, js, subject, NULL, &so, &je);
	if (s != NATS_OK) {
		status = 1;
		if (je == JSStreamNotFoundErr || s == NATS_NOT_FOUND)
			fprintf(stderr, "%s: NATS: no stream %s\n", label, stream);
		else
			np_fail(label, subject, s);
		goto out;
	}
	while (!count || n < count) {
		natsMsg *m = NULL;

		s = natsSubscription_NextMsg(&m, sub, idle_ms ? idle_ms : 3600000);
		if (s == NATS_TIMEOUT) {
			if (idle_ms)
				break;
			continue;
		}
		if (s != NATS_OK) {
			status = 1, np_fail(label, "reading", s);
			break;
		}
		if (fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout) !=
			    (size_t)natsMsg_GetDataLength(m) ||
		    putchar('\n') == EOF || fflush(stdout)) {
			natsMsg_Destroy(m);
			status = 1;
			break;
		}
		natsMsg_Destroy(m);
		n++;
	}
out:
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	nats_Close();
	return status;
}
