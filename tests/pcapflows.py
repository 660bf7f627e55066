#!/usr/bin/env python3
"""Count flows in pcap files, independently of xdpkit: an observer to check
xdp-stats against. usage: pcapflows.py DIR=FILE... (e.g. ingress=in.pcap)

Prints one JSON line per flow, sorted: {"dir","proto","src","dst","sport",
"dport","packets","bytes"}, bytes being the frame length on the wire (the
pcap record's original length). Only what the tests send is decoded:
Ethernet, 802.1Q/802.1ad, IPv4, IPv6 without extension headers, TCP, UDP,
ICMP, ICMPv6.
"""
import ipaddress
import json
import struct
import sys

PROTO = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}


def records(path):
    with open(path, "rb") as f:
        magic = f.read(24)[:4]
        endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            hdr = f.read(16)
            if len(hdr) < 16:
                return
            _, _, caplen, origlen = struct.unpack(endian + "IIII", hdr)
            yield f.read(caplen), origlen


def flow(frame):
    etype, off = struct.unpack("!H", frame[12:14])[0], 14
    while etype in (0x8100, 0x88A8):
        etype, off = struct.unpack("!H", frame[off + 2:off + 4])[0], off + 4
    if etype == 0x0800:
        ihl = (frame[off] & 15) * 4
        proto, src, dst = frame[off + 9], frame[off + 12:off + 16], frame[off + 16:off + 20]
        frag = struct.unpack("!H", frame[off + 6:off + 8])[0] & 0x1FFF
        l4 = off + ihl
    elif etype == 0x86DD:
        proto, src, dst, frag = frame[off + 6], frame[off + 8:off + 24], frame[off + 24:off + 40], 0
        l4 = off + 40
    else:
        return None
    sport = dport = 0
    if proto in (6, 17) and not frag:
        sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
    return (PROTO.get(proto, proto), str(ipaddress.ip_address(src)),
            str(ipaddress.ip_address(dst)), sport, dport)


def main():
    counts = {}
    for arg in sys.argv[1:]:
        direction, path = arg.split("=", 1)
        for frame, length in records(path):
            f = flow(frame)
            if f is None:
                continue
            c = counts.setdefault((direction,) + f, [0, 0])
            c[0] += 1
            c[1] += length
    for k in sorted(counts, key=str):
        d, proto, src, dst, sport, dport = k
        print(json.dumps({"dir": d, "proto": proto, "src": src, "dst": dst, "sport": sport,
                          "dport": dport, "packets": counts[k][0], "bytes": counts[k][1]},
                         separators=(",", ":")))


main()
