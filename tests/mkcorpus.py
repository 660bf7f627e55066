#!/usr/bin/env python3
"""Write the hostile-frame corpus: usage: mkcorpus.py OUT.pcap OUT.jsonl

Every frame is built here, field by field (no library that would fix a
lying length), and labelled with what the datapath must make of it:

  class  the counters of xdp-stats' global line that one frame moves, less
         packets and bytes: "ipv4 udp", "ipv6 tcp", "ipv4 udp fragments",
         "non_ip", "parse_errors", ...
  dns    what the dns feature counts: "queries", "responses", "malformed",
         or "" (not looked at as DNS)
  tc_rx  the class at tc ingress of the frame received over a veth (the
         kernel has taken the outer VLAN tag off by then): mostly "class"

OUT.jsonl has one line per frame, in the order of OUT.pcap:
{"i":0,"name":"...","len":N,"class":"...","dns":"...","tc_rx":"..."}. tests/robust.bats
runs every frame through every hook (xk-fuzz --each) and compares.
Addresses: 198.18.9.1 -> 198.18.9.2, fd00:db8::1 -> fd00:db8::2.
"""
import json
import struct
import sys

SRC4, DST4 = bytes([198, 18, 9, 1]), bytes([198, 18, 9, 2])
SRC6 = bytes.fromhex("fd000db8000000000000000000000001")
DST6 = bytes.fromhex("fd000db8000000000000000000000002")
MAC_D, MAC_S = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")

UDP, TCP, ICMP, ICMP6 = 17, 6, 1, 58
HBH, ROUTING, FRAG, DSTOPTS, AH, NONXT = 0, 43, 44, 60, 51, 59


def eth(ethertype, tags=()):
    h = MAC_D + MAC_S
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", ethertype)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s >> 16) + (s & 0xFFFF)
    return ~s & 0xFFFF


def ip4(proto, payload, ihl=5, tot=None, frag=0, ver=4, opts=b""):
    opts = opts.ljust(max(0, ihl * 4 - 20), b"\1")[: max(0, ihl * 4 - 20)]
    if tot is None:
        tot = 20 + len(opts) + len(payload)
    h = bytearray(struct.pack("!BBHHHBBH4s4s", ver << 4 | (ihl & 15), 0, tot & 0xFFFF, 1,
                              frag, 64, proto, 0, SRC4, DST4) + opts)
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + payload


def ip6(nh, payload, plen=None, ver=6):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB16s16s", ver << 28, plen & 0xFFFF, nh, 64, SRC6, DST6) + payload


def ext(nh, n8=0, fill=b"\1"):
    """An IPv6 options-style extension header of (n8 + 1) * 8 bytes."""
    return bytes([nh, n8]) + fill * ((n8 + 1) * 8 - 2)


def frag6(nh, off8=0, more=0):
    return struct.pack("!BBHI", nh, 0, off8 << 3 | more, 7)


def udp(dport=9999, data=b"u" * 16, ulen=None, sport=40000):
    return struct.pack("!HHHH", sport, dport, (8 + len(data) if ulen is None else ulen) & 0xFFFF, 0) + data


def tcp(dport=80, data=b"", doff=5, flags=0x02, sport=40000, opts=b""):
    opts = opts.ljust(max(0, doff * 4 - 20), b"\1")[: max(0, doff * 4 - 20)]
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, (doff & 15) << 4, flags, 1024, 0, 0) + opts + data


def icmp(t=8, data=b"i" * 8):
    return bytes([t, 0, 0, 0]) + data


def qname(*labels):
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\0"


def name_of(n):
    """A name of n bytes in wire form (n >= 1): labels of up to 63, then 0."""
    labels, left = [], n - 1
    while left > 0:
        k = min(63, left - 1)
        if left - (k + 1) == 1:  # no label of 0 bytes at the end
            k -= 1
        labels.append(b"n" * k)
        left -= k + 1
    return qname(*labels)


def dns(qid=1, flags=0x0100, qd=1, an=0, ns=0, ar=0, q=None):
    if q is None:
        q = qname(b"www", b"example", b"test") + struct.pack("!HH", 1, 1)
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar) + q


QTAIL = struct.pack("!HH", 1, 1)
RESP = 0x8183  # QR, RD, RA, NXDOMAIN

corpus = []


def add(name, frame, cls, dns_="", tc_rx=None):
    corpus.append((name, bytes(frame), cls, dns_, tc_rx or cls))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    e4, e6 = eth(0x0800), eth(0x86DD)

    # The well-formed frames the rest are made from.
    good = [
        ("udp4", e4 + ip4(UDP, udp()), "ipv4 udp", ""),
        ("tcp4", e4 + ip4(TCP, tcp()), "ipv4 tcp", ""),
        ("icmp4", e4 + ip4(ICMP, icmp()), "ipv4 icmp", ""),
        ("udp6", e6 + ip6(UDP, udp()), "ipv6 udp", ""),
        ("tcp6", e6 + ip6(TCP, tcp()), "ipv6 tcp", ""),
        ("icmp6", e6 + ip6(ICMP6, icmp(128)), "ipv6 icmp", ""),
        ("dns4_query", e4 + ip4(UDP, udp(53, dns())), "ipv4 udp", "queries"),
        ("dns6_query", e6 + ip6(UDP, udp(53, dns())), "ipv6 udp", "queries"),
        ("dns4_response", e4 + ip4(UDP, udp(40000, dns(flags=RESP), sport=53)), "ipv4 udp", "responses"),
        ("dns4_tcp_query", e4 + ip4(TCP, tcp(53, struct.pack("!H", len(dns())) + dns(), flags=0x18)),
         "ipv4 tcp", "queries"),
        ("vlan_udp4", eth(0x0800, [(0x8100, 100)]) + ip4(UDP, udp()), "ipv4 udp", ""),
        ("qinq_udp6", eth(0x86DD, [(0x88A8, 200), (0x8100, 100)]) + ip6(UDP, udp()), "ipv6 udp", ""),
        ("arp", eth(0x0806) + bytes.fromhex("0001080006040001") + MAC_S + SRC4 + bytes(6) + DST4,
         "non_ip", ""),
    ]
    for g in good:
        add(*g)

    # Truncated at every header boundary (and a byte either side) of every
    # frame above, and at every byte of two of them: shorter than its IP
    # header claims, each is a parse error (ARP is not parsed: non_ip).
    # Frames start at 14 bytes (the kernel runs nothing shorter).
    for name, f, cls, _ in good:
        if name == "arp":
            for cut in (14, 15, 20, 27):
                add("arp_cut%d" % cut, f[:cut], "non_ip")
            continue
        l2 = 14 + 4 * (name.startswith("vlan") + 2 * name.startswith("qinq"))
        l3 = 20 if "4" in name.split("_")[0] else 40
        l4 = {"udp": 8, "tcp": 20, "icm": 4}.get(cls.split()[1][:3], 8)
        cuts = set()
        for b in (14, l2, l2 + l3, l2 + l3 + l4, l2 + l3 + l4 + 12):
            cuts.update((b - 1, b, b + 1))
        if name in ("tcp4", "dns6_query"):
            cuts.update(range(14, len(f)))
        for cut in sorted(c for c in cuts if 14 <= c < len(f)):
            add("%s_cut%d" % (name, cut), f[:cut], "parse_errors")

    # IPv4 header lengths: IHL below 5; options; IHL beyond the frame or
    # beyond the total length; another version under EtherType 0x0800.
    for ihl in range(0, 5):
        add("ihl%d" % ihl, e4 + ip4(UDP, udp(), ihl=ihl, tot=28 + 16), "parse_errors")
    for ihl in (6, 10, 15):
        add("ihl%d_options" % ihl, e4 + ip4(UDP, udp(), ihl=ihl), "ipv4 udp")
    add("ihl15_past_frame", (e4 + ip4(UDP, udp(), ihl=15))[:14 + 40], "parse_errors")
    add("ihl6_past_tot", e4 + ip4(UDP, udp(), ihl=6, tot=20), "parse_errors")
    add("v6_in_v4", e4 + ip4(UDP, udp(), ver=6), "parse_errors")
    add("v0_in_v4", e4 + ip4(UDP, udp(), ver=0), "parse_errors")
    add("v4_in_v6", e6 + ip6(UDP, udp(), ver=4), "parse_errors")

    # Total lengths that lie both ways.
    body = udp()
    for tot in (0, 1, 19):
        add("tot%d" % tot, e4 + ip4(UDP, body, tot=tot), "parse_errors")
    add("tot_ihl", e4 + ip4(UDP, body, tot=20), "parse_errors")      # no room for UDP
    add("tot_long1", e4 + ip4(UDP, body, tot=20 + len(body) + 1), "parse_errors")
    add("tot_65535", e4 + ip4(UDP, body, tot=65535), "parse_errors")
    add("tot_short_padded", e4 + ip4(UDP, udp(data=b""), tot=28) + bytes(18), "ipv4 udp")
    add("tot_short_cuts_udp", e4 + ip4(UDP, body, tot=30), "parse_errors")
    add("udp_len_past_ip", e4 + ip4(UDP, udp(ulen=200)), "parse_errors")
    for ulen in (0, 7):
        add("udp_len%d" % ulen, e4 + ip4(UDP, udp(ulen=ulen)), "parse_errors")
    add("udp_len8_trailer", e4 + ip4(UDP, udp(ulen=8)), "ipv4 udp")
    add("plen_long", e6 + ip6(UDP, body, plen=len(body) + 1), "parse_errors")
    add("plen_65535", e6 + ip6(UDP, body, plen=65535), "parse_errors")
    add("plen0", e6 + ip6(UDP, body, plen=0), "parse_errors")
    add("plen_short_padded", e6 + ip6(UDP, udp(data=b""), plen=8) + bytes(10), "ipv6 udp")
    add("icmp4_3bytes", e4 + ip4(ICMP, b"\x08\0\0"), "parse_errors")
    add("icmp4_4bytes", e4 + ip4(ICMP, b"\x08\0\0\0"), "ipv4 icmp")
    add("icmp6_3bytes", e6 + ip6(ICMP6, b"\x80\0\0"), "parse_errors")
    for proto, pname in ((47, "gre"), (132, "sctp"), (255, "p255"), (0, "p0")):
        add("other4_" + pname, e4 + ip4(proto, b"o" * 12), "ipv4 other")
    add("other6_nonext", e6 + ip6(NONXT, b""), "ipv6 other")
    add("other6_gre", e6 + ip6(47, b"o" * 12), "ipv6 other")

    # TCP data offsets.
    for doff in range(0, 5):
        add("doff%d" % doff, e4 + ip4(TCP, tcp(doff=doff)), "parse_errors")
    for doff in (6, 10, 15):
        add("doff%d_options" % doff, e4 + ip4(TCP, tcp(doff=doff)), "ipv4 tcp")
        add("doff%d_options6" % doff, e6 + ip6(TCP, tcp(doff=doff)), "ipv6 tcp")
    add("doff15_past_frame", e4 + ip4(TCP, tcp()[:12] + bytes([0xF0]) + tcp()[13:]), "parse_errors")
    add("doff6_past_frame6", e6 + ip6(TCP, tcp()[:12] + bytes([0x60]) + tcp()[13:]), "parse_errors")

    # IPv6 extension chains: up to six walked, a seventh is too many;
    # one that names itself again and again (a loop); one that is longer
    # than the packet; one cut inside; long ones past 1 KiB.
    kinds = (HBH, DSTOPTS, ROUTING)
    for n in range(1, 8):
        chain, nxt = b"", UDP
        hdrs = [kinds[i % 3] for i in range(n)]
        for i in reversed(range(n)):
            chain = ext(nxt, 0) + chain
            nxt = hdrs[i]
        add("ext_chain%d" % n, e6 + ip6(nxt, chain + udp()), "ipv6 udp" if n <= 6 else "parse_errors")
    loop = b"".join(ext(HBH, 0) for _ in range(12))
    add("ext_loop_hbh", e6 + ip6(HBH, loop), "parse_errors")
    add("ext_loop_dst", e6 + ip6(DSTOPTS, b"".join(ext(DSTOPTS, 0) for _ in range(12))), "parse_errors")
    add("ext_past_packet", e6 + ip6(HBH, ext(UDP, 3)[:16]), "parse_errors")
    add("ext_cut_inside", (e6 + ip6(HBH, ext(UDP, 0) + udp()))[:14 + 40 + 1], "parse_errors")
    add("ext_hbh_only_1", e6 + ip6(HBH, bytes([UDP])), "parse_errors")
    big = ext(DSTOPTS, 100) + ext(UDP, 100)  # 1,616 bytes of options: past 1 KiB
    add("ext_past_1k", e6 + ip6(DSTOPTS, big[:1400]), "parse_errors")
    add("ext_255x8", e6 + ip6(DSTOPTS, ext(UDP, 255)[:1200]), "parse_errors")
    add("ext_ah", e6 + ip6(AH, bytes([UDP, 4]) + bytes(22) + udp()), "ipv6 udp")
    add("ext_ah_past", e6 + ip6(AH, bytes([UDP, 200]) + bytes(22)), "parse_errors")
    add("ext_routing_tcp", e6 + ip6(ROUTING, ext(TCP, 2) + tcp()), "ipv6 tcp")
    add("ext_then_nonext", e6 + ip6(HBH, ext(NONXT, 0)), "ipv6 other")

    # VLAN tags: tags without payload, cut inside a tag, three tags (more
    # than walked: not IP to us), a tag in front of ARP.
    t1, t2 = [(0x8100, 100)], [(0x88A8, 200), (0x8100, 100)]
    add("vlan_no_payload", eth(0x0800, t1), "parse_errors")
    add("qinq_no_payload", eth(0x86DD, t2), "parse_errors")
    add("vlan_cut_tag", eth(0x0800, t1)[:16], "parse_errors")
    add("qinq_cut_tag", eth(0x0800, t2)[:20], "parse_errors")
    add("vlan_arp", eth(0x0806, t1) + bytes(28), "non_ip")
    # (received, the kernel takes the outer tag off before tc ingress: two
    # are left, and tc sees IPv4; XDP sees all three)
    add("vlan3_udp4", eth(0x0800, t2 + [(0x8100, 7)]) + ip4(UDP, udp()), "non_ip", tc_rx="ipv4 udp")
    add("vlan_only_tpid", eth(0x8100), "parse_errors")
    add("qinq_tcp4", eth(0x0800, t2) + ip4(TCP, tcp()), "ipv4 tcp")
    add("vlan_tcp4_cut", (eth(0x0800, t1) + ip4(TCP, tcp()))[:18 + 30], "parse_errors")
    for et, nm in ((0x88CC, "lldp"), (0x88B5, "local"), (0x0000, "zero"), (0xFFFF, "ffff"),
                   (0x0600, "len1536"), (0x05DC, "len1500")):
        add("non_ip_" + nm, eth(et) + bytes(46), "non_ip")

    # Fragments: first, middle, last, overlapping, tiny; IPv4 and IPv6.
    d = udp(data=b"f" * 40, ulen=8 + 120)
    add("frag4_first", e4 + ip4(UDP, d, frag=0x2000), "ipv4 udp")
    add("frag4_middle", e4 + ip4(UDP, b"f" * 48, frag=0x2000 | 6), "ipv4 udp fragments")
    add("frag4_last", e4 + ip4(UDP, b"f" * 24, frag=12), "ipv4 udp fragments")
    add("frag4_overlap", e4 + ip4(UDP, b"f" * 48, frag=0x2000 | 3), "ipv4 udp fragments")
    add("frag4_offset_max", e4 + ip4(UDP, b"f" * 8, frag=0x1FFF), "ipv4 udp fragments")
    add("frag4_tiny_tcp", e4 + ip4(TCP, tcp()[:8], frag=0x2000), "parse_errors")
    add("frag4_tiny_udp", e4 + ip4(UDP, udp()[:4], frag=0x2000), "parse_errors")
    add("frag4_tcp_middle", e4 + ip4(TCP, b"t" * 8, frag=0x2000 | 1), "ipv4 tcp fragments")
    add("frag4_empty_middle", e4 + ip4(UDP, b"", frag=0x2000 | 2), "ipv4 udp fragments")
    add("frag4_df_only", e4 + ip4(UDP, udp(), frag=0x4000), "ipv4 udp")
    add("frag6_first", e6 + ip6(FRAG, frag6(UDP, 0, 1) + d), "ipv6 udp")
    add("frag6_middle", e6 + ip6(FRAG, frag6(UDP, 6, 1) + b"f" * 48), "ipv6 udp fragments")
    add("frag6_last", e6 + ip6(FRAG, frag6(UDP, 12, 0) + b"f" * 24), "ipv6 udp fragments")
    add("frag6_overlap", e6 + ip6(FRAG, frag6(UDP, 3, 1) + b"f" * 48), "ipv6 udp fragments")
    add("frag6_atomic", e6 + ip6(FRAG, frag6(UDP, 0, 0) + udp()), "ipv6 udp")
    add("frag6_tiny_tcp", e6 + ip6(FRAG, frag6(TCP, 0, 1) + tcp()[:8]), "parse_errors")
    add("frag6_cut_header", e6 + ip6(FRAG, frag6(UDP, 0, 1)[:6]), "parse_errors")
    add("frag6_twice", e6 + ip6(FRAG, frag6(FRAG, 0, 1) + frag6(UDP, 6, 1) + b"f" * 16),
        "ipv6 udp fragments")
    add("frag6_after_hbh", e6 + ip6(HBH, ext(FRAG) + frag6(UDP, 6, 0) + b"f" * 16),
        "ipv6 udp fragments")
    # The first fragment of a DNS response: the question is in it.
    r = dns(flags=RESP)
    add("frag4_first_dns", e4 + ip4(UDP, udp(40000, r, ulen=8 + 1400, sport=53), frag=0x2000),
        "ipv4 udp", "responses")
    add("frag4_middle_dns", e4 + ip4(UDP, r, frag=0x2000 | 100), "ipv4 udp fragments")
    add("frag6_first_dns", e6 + ip6(FRAG, frag6(UDP, 0, 1) + udp(40000, r, ulen=8 + 1400, sport=53)),
        "ipv6 udp", "responses")

    # DNS: malformed messages, pointer loops, labels, counts, name lengths.
    def q4(msg, dport=53, cls="ipv4 udp", kind="malformed"):
        return e4 + ip4(UDP, udp(dport, msg)), cls, kind

    for name, msg in (
        ("dns_empty", b""),
        ("dns_11bytes", dns()[:11]),
        ("dns_header_only", dns()[:12]),
        ("dns_no_question", dns(qd=0, q=b"")),
        ("dns_no_question_with_name", dns(qd=0)),
        ("dns_pointer_self", dns(q=b"\xc0\x0c" + QTAIL)),
        ("dns_pointer_loop2", dns(q=b"\x01a\xc0\x0c" + QTAIL)),
        ("dns_pointer_forward", dns(q=b"\xc0\xff" + QTAIL)),
        ("dns_label_past_end", dns(q=b"\x3fabc")),
        ("dns_label_64", dns(q=b"\x40" + b"x" * 64 + b"\0" + QTAIL)),
        ("dns_label_0x80", dns(q=b"\x80abc\0" + QTAIL)),
        ("dns_name_256", dns(q=name_of(256) + QTAIL)),
        ("dns_name_300", dns(q=name_of(300) + QTAIL)),
        ("dns_labels_129", dns(q=b"\x00" * 0 + b"\x01a" * 129 + b"\0" + QTAIL)),
        ("dns_no_qtype", dns(q=qname(b"a") + b"\0\1")),
        ("dns_name_unended", dns(q=b"\x03www\x07example")),
    ):
        add(name, *q4(msg))
    for name, msg, kind in (
        ("dns_counts_max", dns(qd=65535, an=65535, ns=65535, ar=65535), "queries"),
        ("dns_qd2", dns(qd=2), "queries"),
        ("dns_label_63", dns(q=qname(b"x" * 63) + QTAIL), "queries"),
        ("dns_root", dns(q=b"\0" + QTAIL), "queries"),
        ("dns_opcode15", dns(flags=0x7800), "queries"),
        ("dns_all_flags_response", dns(flags=0xFFFF), "responses"),
        ("dns_trailing_bytes", dns() + b"\xde\xad" * 40, "queries"),
    ):
        add(name, *q4(msg, kind=kind))
    for n in (1, 2, 3, 63, 64, 65, 127, 128, 129, 200, 253, 254, 255):
        add("dns_name_%d" % n, *q4(dns(q=name_of(n) + QTAIL), kind="queries"))
    add("dns_name_255_no_qtype", *q4(dns(q=name_of(255))))
    add("dns6_pointer_self", e6 + ip6(UDP, udp(53, dns(q=b"\xc0\x0c" + QTAIL))), "ipv6 udp", "malformed")
    add("dns6_name_255", e6 + ip6(UDP, udp(53, dns(q=name_of(255) + QTAIL))), "ipv6 udp", "queries")
    add("dns_both_ports_53", e4 + ip4(UDP, udp(53, dns(), sport=53)), "ipv4 udp", "queries")
    add("dns_udp_len_lies", e4 + ip4(UDP, udp(53, dns(), ulen=8 + 11)), "ipv4 udp", "malformed")
    add("dns_vlan_query", eth(0x0800, t1) + ip4(UDP, udp(53, dns())), "ipv4 udp", "queries")
    add("dns_qinq_query6", eth(0x86DD, t2) + ip6(UDP, udp(53, dns())), "ipv6 udp", "queries")
    # DNS over TCP: one message with its length first, else not read.
    m = dns()
    add("dns_tcp_syn", e4 + ip4(TCP, tcp(53)), "ipv4 tcp")
    add("dns_tcp_len_short", e4 + ip4(TCP, tcp(53, struct.pack("!H", len(m) - 1) + m, flags=0x18)),
        "ipv4 tcp")
    add("dns_tcp_len_long", e4 + ip4(TCP, tcp(53, struct.pack("!H", 65535) + m, flags=0x18)), "ipv4 tcp")
    add("dns_tcp_prefix_only", e4 + ip4(TCP, tcp(53, b"\0\0", flags=0x18)), "ipv4 tcp", "malformed")
    add("dns_tcp_one_byte", e4 + ip4(TCP, tcp(53, b"\0", flags=0x18)), "ipv4 tcp")
    add("dns_tcp_pointer", e4 + ip4(TCP, tcp(53, struct.pack("!H", 18) + dns(q=b"\xc0\x0c" + QTAIL),
                                             flags=0x18)), "ipv4 tcp", "malformed")
    add("dns_tcp_response6", e6 + ip6(TCP, tcp(40000, struct.pack("!H", len(r)) + r, flags=0x18,
                                               sport=53)), "ipv6 tcp", "responses")
    add("dns_tcp_doff_past", e4 + ip4(TCP, tcp(53, b"", doff=15)[:20] + m), "parse_errors")
    # A port-53 packet that is ICMP, or a fragment: not DNS.
    add("dns_icmp_port", e4 + ip4(ICMP, icmp(3, b"\0\0\0\0" + ip4(UDP, udp(53, m))[:28])), "ipv4 icmp")

    # Size limits: the smallest Ethernet frame, the largest without frags.
    add("min_frame_padded", e4 + ip4(UDP, udp(data=b"")) + bytes(18), "ipv4 udp")
    add("max_frame_udp4", e4 + ip4(UDP, udp(data=b"m" * (1500 - 28))), "ipv4 udp")
    add("max_frame_dns", e4 + ip4(UDP, udp(53, dns() + b"\0" * (1500 - 28 - len(dns())))),
        "ipv4 udp", "queries")
    add("max_frame_tcp6", e6 + ip6(TCP, tcp(data=b"m" * (1500 - 60))), "ipv6 tcp")
    add("eth_only", e4[:14], "parse_errors")
    add("eth_only_ipv6", e6, "parse_errors")
    add("eth_only_arp", eth(0x0806), "non_ip")

    with open(sys.argv[1], "wb") as pcap, open(sys.argv[2], "w") as labels:
        pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (name, f, cls, kind, tc_rx) in enumerate(corpus):
            pcap.write(struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f)
            labels.write(json.dumps({"i": i, "name": name, "len": len(f), "class": cls, "dns": kind,
                                     "tc_rx": tc_rx},
                                    separators=(",", ":")) + "\n")


main()
