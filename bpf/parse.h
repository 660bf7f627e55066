/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - parse a frame once for every feature.
 *
 * xk_parse() zeroes p->key, then reads Ethernet, up to two VLAN tags (802.1Q, 802.1ad), IPv4
 * (options allowed) or IPv6 (hop-by-hop, routing, fragment, destination
 * options and AH headers, at most XK_IPV6_EXT_MAX of them), then the ports
 * and flags of TCP and UDP and the header of ICMP/ICMPv6. It fills p->key (a
 * flow key, IPv4 v4-mapped) and the class fields and returns:
 *
 *   XK_P_IP       an IP packet; p->key is complete (ports 0 where there
 *                 are none, and for fragments after the first: p->frag)
 *   XK_P_NON_IP   not IPv4/IPv6 (ARP, LLDP, ...)
 *   XK_P_ERROR    shorter than a header it carries claims, or malformed
 *                 (IHL < 5, TCP data offset < 5, UDP length < 8, IPv6
 *                 extension chain too long or running past the packet)
 *
 * It never reads outside [data, data_end). Lengths that headers claim are
 * checked against p->len, the frame length at the hook, so that at tc a
 * packet whose payload is not in the linear part is still judged by its
 * real length.
 */
#ifndef XDPKIT_PARSE_H
#define XDPKIT_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdpkit.h"

#define XK_IPV6_EXT_MAX 6
#define XK_VLAN_MAX 2

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/* (xk_packet.parse prints it: "ip", "non_ip", "error") */
enum xk_parse {
	XK_P_IP = 0,
	XK_P_NON_IP = 1,
	XK_P_ERROR = 2,
};

/* Everything a feature needs to know about one frame. */
struct xk_pkt {
	void *data;
	void *data_end;
	__u64 len;                /* frame length at the hook (at tc, of the skb) */
	__u64 wire;               /* the bytes of the frames it is on the wire */
	__u32 segs;               /* how many frames: gso_segs of a GSO skb, else 1 */
	__u32 gso_size;           /* payload bytes of a full segment (GSO) */
	__u32 hdrs;               /* where the transport payload starts (TCP, UDP), 0 unknown */
	__u32 pend;               /* where it ends: by UDP's length, by IP's for TCP */
	__u32 dir;                /* enum xk_dir */
	__u32 tag;                /* bytes of a VLAN tag the skb holds out of its
				   * data (at tc, hardware-accelerated VLAN): on
				   * the wire in every frame, not in data or len */
	struct xk_flow_key key;   /* src, dst, ports, proto, family, dir */
	__u8 tcp_flags;           /* flags byte of the TCP header, 0 otherwise */
	__u8 frag;                /* an IP fragment after the first */
	__u8 first_frag;          /* the first fragment of several: the transport
				   * header's own length may run past it */
	__u8 nvlan;               /* VLAN tags in the data (capture) */
	__be16 ethertype;         /* after the VLAN tags (capture) */
	__be16 vlan[XK_VLAN_MAX]; /* their TCIs, outer first (capture) */
};

struct xk_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct xk_ipv6_opt {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct xk_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;          /* offset << 3 | M */
	__be32 id;
};

/* Is [off, off + n) inside the frame's readable bytes? */
#define XK_HAS(p, off, n) ((p)->data + (off) + (n) <= (p)->data_end)

static __always_inline void xk_v4mapped(__u8 *a, __be32 addr)
{
	__u32 *w = (__u32 *)a;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = addr;
}

/* Ports and flags of the transport header at off; end is where the IP
 * payload ends by the IP header's claim. */
static __always_inline int xk_parse_l4(struct xk_pkt *p, __u32 off, __u32 end)
{
	__u8 proto = p->key.proto;

	if (p->frag)
		return XK_P_IP;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = p->data + off;

		if (!XK_HAS(p, off, sizeof(*th)) || off + sizeof(*th) > end)
			return XK_P_ERROR;
		if (th->doff < 5 || off + th->doff * 4 > end)
			return XK_P_ERROR;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->hdrs = off + th->doff * 4;
		p->pend = end;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = p->data + off;

		if (!XK_HAS(p, off, sizeof(*uh)) || off + sizeof(*uh) > end)
			return XK_P_ERROR;
		/* a first fragment holds the start of a longer datagram */
		if (bpf_ntohs(uh->len) < sizeof(*uh) ||
		    (!p->first_frag && off + bpf_ntohs(uh->len) > end))
			return XK_P_ERROR;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		p->hdrs = off + sizeof(*uh);
		p->pend = off + bpf_ntohs(uh->len);
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		/* type, code, checksum: 4 bytes at least */
		if (!XK_HAS(p, off, 4) || off + 4 > end)
			return XK_P_ERROR;
	}
	return XK_P_IP;
}

static __always_inline int xk_parse_ipv4(struct xk_pkt *p, __u32 off)
{
	struct iphdr *ip = p->data + off;
	__u32 hlen, tot;

	if (!XK_HAS(p, off, sizeof(*ip)))
		return XK_P_ERROR;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	/* BIG TCP (a GSO packet of more than 64 KiB, at tc): tot_len 0 */
	if (tot == 0 && p->len > off + 0xffff)
		tot = p->len - off;
	if (ip->version != 4 || hlen < sizeof(*ip) || tot < hlen || off + tot > p->len)
		return XK_P_ERROR;
	p->key.family = 4;
	p->key.proto = ip->protocol;
	xk_v4mapped(p->key.src, ip->saddr);
	xk_v4mapped(p->key.dst, ip->daddr);
	p->frag = (ip->frag_off & bpf_htons(0x1fff)) != 0;
	p->first_frag = !p->frag && (ip->frag_off & bpf_htons(0x2000));
	return xk_parse_l4(p, off + hlen, off + tot);
}

static __always_inline int xk_parse_ipv6(struct xk_pkt *p, __u32 off)
{
	struct ipv6hdr *ip6 = p->data + off;
	__u32 end;
	__u8 next;
	int i;

	if (!XK_HAS(p, off, sizeof(*ip6)))
		return XK_P_ERROR;
	end = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	/* BIG TCP (a GSO packet of more than 64 KiB, at tc): payload_len 0,
	 * no jumbo option */
	if (ip6->payload_len == 0 && p->len > off + sizeof(*ip6) + 0xffff)
		end = p->len;
	if (ip6->version != 6 || end > p->len)
		return XK_P_ERROR;
	p->key.family = 6;
	__builtin_memcpy(p->key.src, &ip6->saddr, 16);
	__builtin_memcpy(p->key.dst, &ip6->daddr, 16);
	next = ip6->nexthdr;
	off += sizeof(*ip6);

#pragma unroll
	for (i = 0; i < XK_IPV6_EXT_MAX; i++) {
		if (next == IPPROTO_FRAGMENT) {
			struct xk_ipv6_frag *fh = p->data + off;

			if (!XK_HAS(p, off, sizeof(*fh)) || off + sizeof(*fh) > end)
				return XK_P_ERROR;
			if (fh->frag_off & bpf_htons(0xfff8))
				p->frag = 1;
			else if (fh->frag_off & bpf_htons(1))
				p->first_frag = 1;
			next = fh->nexthdr;
			off += sizeof(*fh);
		} else if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			   next == IPPROTO_DSTOPTS || next == IPPROTO_AH) {
			struct xk_ipv6_opt *oh = p->data + off;
			__u32 hl;

			if (!XK_HAS(p, off, sizeof(*oh)))
				return XK_P_ERROR;
			hl = next == IPPROTO_AH ? (oh->hdrlen + 2) * 4 : (oh->hdrlen + 1) * 8;
			if (off + hl > end)
				return XK_P_ERROR;
			next = oh->nexthdr;
			off += hl;
		} else {
			break;
		}
		if (off > 1024) /* keeps the offset bounded for the verifier */
			return XK_P_ERROR;
	}
	if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
	    next == IPPROTO_AH || next == IPPROTO_FRAGMENT)
		return XK_P_ERROR; /* more extension headers than we walk */
	p->key.proto = next;
	return xk_parse_l4(p, off, end);
}

static __always_inline int xk_parse(struct xk_pkt *p)
{
	struct ethhdr *eth = p->data;
	__u32 off = sizeof(*eth);
	__be16 proto;
	int i;

	__builtin_memset(&p->key, 0, sizeof(p->key)); /* the hash covers padding */
	p->key.dir = p->dir;
	p->tcp_flags = 0;
	p->frag = 0;
	p->first_frag = 0;
	p->hdrs = 0;
	p->nvlan = 0;
	p->ethertype = 0;
	if (!XK_HAS(p, 0, sizeof(*eth)))
		return XK_P_ERROR;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XK_VLAN_MAX; i++) {
		struct xk_vlan_hdr *vh = p->data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (!XK_HAS(p, off, sizeof(*vh)))
			return XK_P_ERROR;
		p->vlan[i] = vh->tci;
		p->nvlan = i + 1;
		proto = vh->proto;
		off += sizeof(*vh);
	}
	p->ethertype = proto;
	if (proto == bpf_htons(ETH_P_IP))
		return xk_parse_ipv4(p, off);
	if (proto == bpf_htons(ETH_P_IPV6))
		return xk_parse_ipv6(p, off);
	return XK_P_NON_IP;
}

#endif /* XDPKIT_PARSE_H */
