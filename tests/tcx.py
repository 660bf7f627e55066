#!/usr/bin/python3
"""tests/tcx.py PROG_PIN IFACE ingress|egress LINK_PIN - attach the pinned tc
program PROG_PIN to IFACE as a tcx link (what a CNI such as Cilium does on
kernels 6.6 and later) and pin the link at LINK_PIN; removing the pin (or
the interface) detaches it. bpftool 7.1 (Debian 12) cannot attach tcx, so
this asks the kernel itself: BPF_OBJ_GET, BPF_LINK_CREATE, BPF_OBJ_PIN."""
import ctypes
import os
import struct
import sys

BPF_OBJ_PIN, BPF_OBJ_GET, BPF_LINK_CREATE = 6, 7, 28
BPF_TCX = {"ingress": 46, "egress": 47}
NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno()
        sys.exit(f"tcx.py: bpf command {cmd}: {os.strerror(e)}")
    return r


def path_attr(path, fd=0):
    p = ctypes.create_string_buffer(path.encode())
    return struct.pack("QII", ctypes.addressof(p), fd, 0), p


prog_pin, iface, direction, link_pin = sys.argv[1:5]
attr, keep = path_attr(prog_pin)
prog_fd = bpf(BPF_OBJ_GET, attr)
ifindex = int(open(f"/sys/class/net/{iface}/ifindex").read())
link_fd = bpf(BPF_LINK_CREATE, struct.pack("IIII", prog_fd, ifindex, BPF_TCX[direction], 0))
attr, keep = path_attr(link_pin, link_fd)
bpf(BPF_OBJ_PIN, attr)
