// SPDX-License-Identifier: GPL-2.0
/*
 * refdrain - the reference consumer of make bench: libbpf's ring_buffer__poll
 * and printf of the same fields xk-drain prints, with the event's layout
 * compiled in (bpf/xdpkit.h), to /dev/null or wherever stdout goes. What
 * xk-drain's BTF-driven printing is compared with.
 *
 * usage: refdrain RINGBUF_PIN COUNT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../bpf/xdpkit.h"

static unsigned long long want, got;
static double mono_to_real;

static const char *addr(const __u8 *a, char *buf)
{
	static const __u8 v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a, v4, 12) == 0)
		return inet_ntop(AF_INET, a + 12, buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct xk_packet *e = data;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	printf("{\"type\":\"packet\",\"iface\":\"bench\",\"ts\":%.6f,\"src\":\"%s\",\"dst\":\"%s\","
	       "\"sport\":%u,\"dport\":%u,\"proto\":\"%s\",\"family\":%u,\"dir\":\"%s\",\"tcp_flags\":[],"
	       "\"len\":%u,\"segs\":%u,\"ethertype\":%u,\"vlan\":[],\"parse\":\"%s\",\"caplen\":%u}\n",
	       (double)e->ts / 1e9 + mono_to_real, addr(e->src, s), addr(e->dst, d), ntohs(e->sport),
	       ntohs(e->dport), e->proto == 17 ? "udp" : e->proto == 6 ? "tcp" : "other", e->family,
	       e->dir ? "egress" : "ingress", e->len, e->segs, ntohs(e->ethertype),
	       e->parse == 0 ? "ip" : e->parse == 1 ? "non_ip" : "error", e->caplen);
	return ++got >= want ? -1000 : 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb;
	struct timespec m, r;
	int fd, err = 0;

	if (argc != 3)
		return fprintf(stderr, "usage: refdrain RINGBUF_PIN COUNT\n"), 2;
	want = strtoull(argv[2], NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	mono_to_real = (double)(r.tv_sec - m.tv_sec) + (double)(r.tv_nsec - m.tv_nsec) / 1e9;
	fd = bpf_obj_get(argv[1]);
	if (fd < 0)
		return perror(argv[1]), 1;
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb)
		return perror("ring_buffer__new"), 1;
	while (got < want && (err = ring_buffer__poll(rb, 100)) >= 0)
		;
	ring_buffer__free(rb);
	fflush(stdout);
	return got >= want ? 0 : 1;
}
