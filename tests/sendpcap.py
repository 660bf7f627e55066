#!/usr/bin/env python3
"""Send every frame of a pcap out of IFACE, as it is: usage: sendpcap.py IFACE PCAP

Raw (AF_PACKET), one send per frame, nothing fixed or padded: the hostile
corpus (tests/mkcorpus.py) goes over a veth this way. Exits 1 when a send
is short or refused, naming the frame.
"""
import socket
import struct
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], "rb") as f:
        data = f.read()
    if len(data) < 24 or struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4:
        sys.exit("sendpcap.py: not a little-endian pcap")
    off, i = 24, 0
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((sys.argv[1], 0))
        while off + 16 <= len(data):
            incl = struct.unpack("<IIII", data[off:off + 16])[2]
            frame = data[off + 16:off + 16 + incl]
            off += 16 + incl
            if s.send(frame) != len(frame):
                sys.exit("sendpcap.py: frame %d: short send" % i)
            i += 1
            if i % 100 == 0:
                time.sleep(0.01)  # well under the receiver's backlog
    print(i)


main()
