"""Traceroute over ICMP: your part of LABS.md, lab `traceroute`.

Usage: python traceroute.py HOST [--max-hops N] [--timeout SECONDS]

A raw socket needs privileges. Try it by hand as root on Linux and macOS,
`sudo python traceroute.py 127.0.0.1` (an administrator's prompt on
Windows); `pytest graders/ --lab traceroute` grades it without: on Linux it
gives the program a network namespace of its own, where it may open raw
sockets.

To do: for TTL 1, 2, 3, ... send up to three ICMP Echo Requests with that
TTL (setsockopt(IPPROTO_IP, IP_TTL, ttl)), each with its own sequence number,
and wait up to the time-out for each one's answer: a Time Exceeded (type 11)
quoting it, from the router where its TTL ran out, or the destination's Echo
Reply (type 0). Print one line per hop: its number, the address that
answered, each probe's RTT in ms, `*` for a probe with no answer. Stop after
the hop where the destination replied, or after --max-hops hops. Exit 0.
"""

import argparse
import os
import socket
import struct
import sys

ECHO_REPLY, ECHO_REQUEST, TIME_EXCEEDED = 0, 8, 11
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence number
PROBES_PER_HOP = 3


def main() -> None:
    parser = argparse.ArgumentParser(description="traceroute over ICMP")
    parser.add_argument("host", help="host name or address to trace the route to")
    parser.add_argument("--max-hops", type=int, default=30, help="the largest TTL to try (default 30)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each probe (default 1)")
    args = parser.parse_args()

    try:
        address = socket.gethostbyname(args.host)
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    except OSError as err:
        sys.exit(f"traceroute: {err}")
    ident = os.getpid() & 0xFFFF

    for ttl in range(1, args.max_hops + 1):
        # TODO(student): sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl).
        # TODO(student): up to PROBES_PER_HOP times: send an Echo Request (as in
        # the icmp lab, checksum and all) to (address, 0), then wait for its
        # answer. A raw socket reads the IP header first; a Time Exceeded quotes
        # your probe's IP header and first 8 bytes after its own 8: match its
        # identifier and sequence number there.
        # TODO(student): print the hop's line, e.g. f"{ttl:2d}  {sender}  1.234 ms  *  *",
        # and stop after the hop where the destination's Echo Reply came.
        pass
    sock.close()


if __name__ == "__main__":
    main()
