#!/usr/bin/env python3
"""Send crafted frames out of IFACE: usage: craft.py IFACE NAME COUNT [ARG]

NAMEs (addresses 198.18.9.1 -> 198.18.9.2, fd00:db8::1 -> fd00:db8::2;
UDP 40000 -> 53, TCP 40000 -> 80):
  udp4 vlan_udp4 qinq_udp4 tcp6 hbh_tcp6 frag1_udp4 frag2_udp4 frag2_udp6
  bigfrag1_udp4 bigfrag1_udp6 (first fragments of a 3,008-byte UDP datagram to 5353)
  ihl4 bad_hbh6 long_chain6 udp_len_short tcp_doff4
  trunc4 ARG   an IPv4/TCP SYN frame cut to ARG bytes (14..53)
  flood ARG    ARG UDP frames, each from another source port and address
  udp_to ARG   a UDP frame 198.18.9.1:40000 -> 198.18.9.2:ARG
  portscan ARG ARG TCP SYNs from 198.18.9.1:40000 to ports 1..ARG
DNS messages (UDP 40000 -> 53, IPv4 with its header checksum, so that a
socket on 198.18.9.2 receives them):
  dns_q ARG    ARG queries (default 1) for www.example.test A, ids 0..ARG-1
  dns_name ARG a query whose name is ARG bytes in wire form (2..255)
  dns_resp     a response (NXDOMAIN, id 7) without a query
  dns_short dns_past dns_loop dns_noq dns_ptr dns_badlabel dns_long
               malformed: an 11-byte message; a label running past the
               message; a pointer to itself; no question; a pointer after a
               label; label type 0x40; a 320-byte name
  dns_tcp      a query in one TCP segment (its length first); dns_tcp_part
               the first segment of a longer one (not seen)
Run it in the sender's namespace (ip netns exec). IFACE file:PATH writes
the first frame to PATH instead (the benchmark's corpus).
"""
import socket
import struct
import sys

SRC4, DST4 = bytes([198, 18, 9, 1]), bytes([198, 18, 9, 2])
SRC6 = bytes.fromhex("fd000db8000000000000000000000001")
DST6 = bytes.fromhex("fd000db8000000000000000000000002")


def eth(src, ethertype, tags=()):
    hdr = b"\xff" * 6 + src
    for tpid, vid in tags:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype)


def ipv4(payload, proto, frag=0, ihl=5, src=SRC4):
    tot = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0,
                       src, DST4) + payload


def ipv6(payload, nexthdr):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nexthdr, 64,
                       SRC6, DST6) + payload


def udp(sport=40000, dport=53, data=b"x" * 20, length=None):
    return struct.pack("!HHHH", sport, dport, length or 8 + len(data), 0) + data


def tcp(flags=0x02, doff=5, dport=80):
    return struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, doff << 4, flags, 1024, 0, 0)


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~((s >> 16) + s) & 0xFFFF


def ipv4c(payload, proto):  # with its header checksum
    h = bytearray(ipv4(payload, proto)[:20])
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + payload


def qname(*labels):
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\0"


def dnsmsg(qid=1, flags=0x0100, qd=1, question=None):
    q = question if question is not None else qname(b"www", b"example", b"test") + struct.pack("!HH", 1, 1)
    return struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0) + q


def dns_name(n):  # a name of n bytes in wire form: labels of up to 63, then 0
    labels, left = [], n - 1
    while left > 0:
        k = min(63, left - 1)
        labels.append(b"n" * k)
        left -= k + 1
    return qname(*labels)


def dns_frame(e4, msg):
    return e4 + ipv4c(udp(data=msg), 17)


def tcp_data(data, dport=53):
    return struct.pack("!HHIIBBHHH", 40000, dport, 1, 1, 5 << 4, 0x18, 1024, 0, 0) + data


def frames(name, src, arg):
    e4, e6 = eth(src, 0x0800), eth(src, 0x86DD)
    if name == "udp4":
        return [e4 + ipv4(udp(), 17)]
    if name == "vlan_udp4":
        return [eth(src, 0x0800, [(0x8100, 100)]) + ipv4(udp(), 17)]
    if name == "qinq_udp4":
        return [eth(src, 0x0800, [(0x88A8, 200), (0x8100, 100)]) + ipv4(udp(), 17)]
    if name == "tcp6":
        return [e6 + ipv6(tcp(), 6)]
    if name == "hbh_tcp6":  # hop-by-hop options header (8 bytes), then TCP
        return [e6 + ipv6(struct.pack("!BB6s", 6, 0, b"\x01\x04" + bytes(4)) + tcp(), 0)]
    if name == "frag1_udp4":  # first fragment: MF set, offset 0, carries ports
        return [e4 + ipv4(udp(data=b"y" * 32), 17, frag=0x2000)]
    if name == "bigfrag1_udp4":  # first fragment of a 3,000-byte datagram to 5353
        return [e4 + ipv4(udp(dport=5353, data=b"w" * 1472, length=3008), 17, frag=0x2000)]
    if name == "bigfrag1_udp6":  # the same over IPv6: fragment header, offset 0, M
        fh = struct.pack("!BBHI", 17, 0, 1, 9)
        return [e6 + ipv6(fh + udp(dport=5353, data=b"w" * 1440, length=3008), 44)]
    if name == "frag2_udp4":  # a later fragment: offset 40 bytes, no UDP header
        return [e4 + ipv4(b"z" * 40, 17, frag=5)]
    if name == "frag2_udp6":  # fragment header with offset 5 (x8 bytes)
        fh = struct.pack("!BBHI", 17, 0, 5 << 3, 7)
        return [e6 + ipv6(fh + b"z" * 40, 44)]
    if name == "ihl4":
        return [e4 + ipv4(udp(), 17, ihl=4)]
    if name == "bad_hbh6":  # hop-by-hop header claiming 2048 bytes
        return [e6 + ipv6(struct.pack("!BB6s", 6, 255, bytes(6)) + tcp(), 0)]
    if name == "long_chain6":  # seven destination-options headers
        chain = b"".join(struct.pack("!BB6s", 60 if i < 6 else 6, 0, bytes(6)) for i in range(7))
        return [e6 + ipv6(chain + tcp(), 60)]
    if name == "udp_len_short":
        return [e4 + ipv4(udp(length=4), 17)]
    if name == "tcp_doff4":
        return [e4 + ipv4(tcp(doff=4), 6)]
    if name == "trunc4":
        return [(e4 + ipv4(tcp(), 6))[:int(arg)]]
    if name == "flood":
        return [e4 + ipv4(udp(sport=1024 + i % 60000), 17,
                          src=bytes([198, 18 + ((i >> 16) & 1), (i >> 8) & 255, i & 255]))
                for i in range(int(arg))]
    if name == "udp_to":
        return [e4 + ipv4(udp(dport=int(arg)), 17)]
    if name == "portscan":
        return [e4 + ipv4(tcp(dport=p), 6) for p in range(1, int(arg) + 1)]
    t = struct.pack("!HH", 1, 1)
    if name == "dns_q":
        return [dns_frame(e4, dnsmsg(qid=i)) for i in range(int(arg) or 1)]
    if name == "dns_name":
        return [dns_frame(e4, dnsmsg(question=dns_name(int(arg)) + t))]
    if name == "dns_resp":
        return [dns_frame(e4, dnsmsg(qid=7, flags=0x8183))]
    if name == "dns_short":
        return [dns_frame(e4, dnsmsg()[:11])]
    if name == "dns_past":
        return [dns_frame(e4, dnsmsg(question=b"\x3fabc"))]
    if name == "dns_loop":
        return [dns_frame(e4, dnsmsg(question=b"\xc0\x0c" + t))]
    if name == "dns_noq":
        return [dns_frame(e4, dnsmsg(qd=0, question=b""))]
    if name == "dns_ptr":
        return [dns_frame(e4, dnsmsg(question=b"\x03www\xc0\x10" + t))]
    if name == "dns_badlabel":
        return [dns_frame(e4, dnsmsg(question=b"\x41" + b"a" * 65 + b"\0" + t))]
    if name == "dns_long":
        return [dns_frame(e4, dnsmsg(question=qname(*[b"l" * 63] * 5) + t))]
    if name == "dns_tcp":
        m = dnsmsg(qid=9)
        return [e4 + ipv4c(tcp_data(struct.pack("!H", len(m)) + m), 6)]
    if name == "dns_tcp_part":
        m = dnsmsg(qid=10)
        return [e4 + ipv4c(tcp_data(struct.pack("!H", len(m) + 100) + m), 6)]
    sys.exit("unknown frame name: " + name)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    iface, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) > 4 else "0"
    if iface.startswith("file:"):
        with open(iface[5:], "wb") as f:
            f.write(frames(name, bytes.fromhex("020000000001"), arg)[0])
        return
    with open(f"/sys/class/net/{iface}/address") as f:
        src = bytes.fromhex(f.read().strip().replace(":", ""))
    out = frames(name, src, arg)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for _ in range(count):
            for fr in out:
                if s.send(fr) != len(fr):
                    sys.exit("short send")


main()
