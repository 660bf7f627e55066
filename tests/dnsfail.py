#!/usr/bin/env python3
"""A DNS server that answers every query SERVFAIL: dnsfail.py ADDR PORT.
The upstream a test's resolver forwards a zone to, for a real SERVFAIL."""
import socket
import struct
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    qid, flags = struct.unpack("!HH", q[:4])
    # the question back, QR and RA set, rcode 2, no records
    end = 12
    while end < len(q) and q[end] != 0:
        end += q[end] + 1
    s.sendto(struct.pack("!HHHHHH", qid, 0x8000 | (flags & 0x7900) | 0x80 | 2, 1, 0, 0, 0)
             + q[12:end + 5], peer)
