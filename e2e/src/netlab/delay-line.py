#!/usr/bin/env python3
"""A network delay line between two TUN devices, for EdgePlay's network tests.

This machine's kernel is built without sch_netem (and without sch_fq, so eBPF departure
times cannot stand in either), so `tc netem delay` is not available. This program does the
same job one level up: it owns two point-to-point TUN devices, and every IP packet read from
one is written to the other after a fixed delay. Everything crossing it - TCP, UDP (WebRTC
media), ICMP - is delayed, exactly as with netem on the link.

usage: delay-line.py HOST_IF NODE_IF HOST_TO_NODE_MS NODE_TO_HOST_MS

It prints "ready" once both devices exist (the caller then moves NODE_IF into the node's
network namespace and configures addresses) and runs until SIGTERM; closing the devices'
file descriptors removes them.
"""
import fcntl
import heapq
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_QUEUED = 20000  # packets in flight; beyond this the line drops, like a full queue


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main() -> None:
    host_if, node_if, to_node_ms, to_host_ms = sys.argv[1:5]
    host_fd = open_tun(host_if)
    node_fd = open_tun(node_if)
    # fd read from -> (fd written to, delay in seconds)
    route = {host_fd: (node_fd, float(to_node_ms) / 1000), node_fd: (host_fd, float(to_host_ms) / 1000)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)

    queue: list[tuple[float, int, int, bytes]] = []
    seq = 0
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable, _, _ = select.select(list(route), [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            out_fd, delay = route[fd]
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if len(queue) < MAX_QUEUED:
                    seq += 1
                    heapq.heappush(queue, (now + delay, seq, out_fd, packet))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out_fd, packet = heapq.heappop(queue)
            try:
                os.write(out_fd, packet)
            except OSError:
                pass  # the device is down (namespace going away): the packet is lost, as on a cut link


if __name__ == "__main__":
    main()
