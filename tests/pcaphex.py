#!/usr/bin/env python3
"""Print the frames of a pcap or pcapng file, one a line: DIR ORIGLEN HEX.

usage: pcaphex.py FILE

DIR is "in" or "out" from a pcapng enhanced packet block's flags, "-" when
the file does not say (classic pcap). A small reader of its own, so that
tests compare bytes without trusting the writer under test.
"""
import struct
import sys


def pcap(data, end):
    off = 24
    while off + 16 <= len(data):
        _, _, cap, orig = struct.unpack(end + "IIII", data[off:off + 16])
        yield "-", orig, data[off + 16:off + 16 + cap]
        off += 16 + cap


def pcapng(data):
    end = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(end + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            sys.exit("bad block length at %d" % off)
        if btype == 6:
            cap, orig = struct.unpack(end + "II", data[off + 20:off + 28])
            frame = data[off + 28:off + 28 + cap]
            opt = off + 28 + (cap + 3) // 4 * 4
            direction = "-"
            while opt + 4 <= off + blen - 4:
                code, olen = struct.unpack(end + "HH", data[opt:opt + 4])
                if code == 0:
                    break
                if code == 2 and olen == 4:
                    flags = struct.unpack(end + "I", data[opt + 4:opt + 8])[0]
                    direction = {1: "in", 2: "out"}.get(flags & 3, "-")
                opt += 4 + (olen + 3) // 4 * 4
            yield direction, orig, frame
        off += blen


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        frames = pcapng(data)
    elif magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        frames = pcap(data, "<")
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        frames = pcap(data, ">")
    else:
        sys.exit("not a pcap or pcapng file")
    for direction, orig, frame in frames:
        print(direction, orig, frame.hex())


main()
