"""ICMP pinger: your part of LABS.md, lab `icmp`.

Usage: python icmp_pinger.py HOST [--count N] [--timeout SECONDS]

A raw socket needs privileges. Try it by hand as root on Linux and macOS,
`sudo python icmp_pinger.py 127.0.0.1` (an administrator's prompt on
Windows); `pytest graders/ --lab icmp` grades it without: on Linux it gives
the program a network namespace of its own, where it may open raw sockets.

To do: send N ICMP Echo Requests (type 8, code 0) to HOST, one a second,
each with a right Internet checksum, your identifier (os.getpid() & 0xFFFF)
and sequence numbers from 1, the payload holding the send time
(struct.pack("d", time.time())). After each one, wait up to the time-out for
the Echo Reply with your identifier and sequence number and a right checksum,
ignoring everything else (your own request comes back on loopback too), and
print its RTT (`time=12.345 ms`) or `Request timed out.`. Exit 0.
Optional exercise 1: then print the statistics, as ping does. Optional
exercise 2: report a Destination Unreachable or Time Exceeded that quotes your
request by name (`Destination Host Unreachable`) instead of a time-out.
"""

import argparse
import os
import socket
import struct
import sys
import time

ECHO_REPLY, DESTINATION_UNREACHABLE, ECHO_REQUEST, TIME_EXCEEDED = 0, 3, 8, 11
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence number


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`."""
    # TODO(student): add up the 16-bit words (pad an odd length with a zero
    # byte), fold the carries back in, and return the ones' complement.
    return 0


def echo_request(ident: int, seq: int) -> bytes:
    """An Echo Request whose payload is the send time."""
    # TODO(student): the header with a zero checksum, then the payload; the
    # checksum of both; the header again with it.
    return b""


def main() -> None:
    parser = argparse.ArgumentParser(description="ICMP pinger")
    parser.add_argument("host", help="host name or address to ping")
    parser.add_argument("--count", type=int, default=10, help="Echo Requests to send (default 10)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each reply (default 1)")
    args = parser.parse_args()

    try:
        address = socket.gethostbyname(args.host)
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    except OSError as err:  # an unknown host; no permission for a raw socket
        sys.exit(f"icmp_pinger: {err}")
    ident = os.getpid() & 0xFFFF

    for seq in range(1, args.count + 1):
        # TODO(student): send echo_request(ident, seq) to (address, 0); note
        # time.perf_counter() just before.
        # TODO(student): wait for the answer until args.timeout after sending
        # (select.select, or settimeout and recvfrom). A raw socket reads the
        # IP header first: the ICMP message starts (packet[0] & 0x0F) * 4 bytes
        # in. Anything but your Echo Reply (type 0, ident, seq, checksum right)
        # is ignored: wait on until the deadline.
        # TODO(student): print f"Reply from {sender}: icmp_seq={seq} time={rtt:.3f} ms",
        # or "Request timed out.".
        # TODO(student): wait until one second after sending before the next one.
        pass

    # TODO(student), optional exercise 1: "10 packets transmitted, 7 received,
    # 30% packet loss" and, if a reply came, "rtt min/avg/max = a/b/c ms".
    sock.close()


if __name__ == "__main__":
    main()
