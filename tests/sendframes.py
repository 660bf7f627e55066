#!/usr/bin/env python3
"""Send COUNT identical raw Ethernet frames of LEN bytes out of IFACE.

usage: sendframes.py IFACE COUNT LEN [ETHERTYPE_HEX] [DST_MAC]

The frames carry a local experimental EtherType (0x88b5) by default, so no
stack on the other side answers them: the counts a test expects are exactly
what this sends. Run it inside the sender's namespace (ip netns exec).
"""
import socket
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    iface, count, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ethertype = int(sys.argv[4], 16) if len(sys.argv) > 4 else 0x88B5
    dst = bytes.fromhex(sys.argv[5].replace(":", "")) if len(sys.argv) > 5 else b"\xff" * 6
    with open(f"/sys/class/net/{iface}/address") as f:
        src = bytes.fromhex(f.read().strip().replace(":", ""))
    if length < 14:
        sys.exit("LEN must be at least 14")
    frame = dst + src + ethertype.to_bytes(2, "big") + bytes(length - 14)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for _ in range(count):
            if s.send(frame) != length:
                sys.exit("short send")


main()
