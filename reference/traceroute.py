"""Traceroute over ICMP (LABS.md, lab `traceroute`).

Usage: python traceroute.py HOST [--max-hops N] [--timeout SECONDS]
(a raw socket: root on Linux and macOS, e.g. `sudo python traceroute.py 127.0.0.1`;
an administrator's prompt on Windows)

Sends ICMP Echo Requests with TTL 1, 2, 3, ..., three per TTL, each with its
own sequence number. The router where a probe's TTL runs out answers with a
Time Exceeded that quotes the probe; the destination answers with an Echo
Reply. Each probe waits up to the time-out for its answer. One line per hop:

     2  127.0.0.12  1.234 ms  1.301 ms  *

the hop number, the address that answered, each probe's RTT, `*` for a probe
with no answer. It stops after the hop where the destination replied, or
after --max-hops hops. Exits 0.
"""

import argparse
import os
import select
import socket
import struct
import sys
import time

ECHO_REPLY, DESTINATION_UNREACHABLE, ECHO_REQUEST, TIME_EXCEEDED = 0, 3, 8, 11
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence number
PROBES_PER_HOP = 3


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    payload = struct.pack("!d", time.time())
    unsummed = HEADER.pack(ECHO_REQUEST, 0, 0, ident, seq) + payload
    return HEADER.pack(ECHO_REQUEST, 0, checksum(unsummed), ident, seq) + payload


def icmp_of(packet: bytes) -> bytes:
    """The ICMP message in an IP datagram as a raw socket reads it (header first)."""
    return packet[(packet[0] & 0x0F) * 4:]


def answer_type(packet: bytes, ident: int, seq: int) -> int | None:
    """The ICMP type of `packet` if it answers probe `seq` (its Echo Reply, or an error quoting
    it, with a right checksum); None for anything else."""
    message = icmp_of(packet)
    if len(message) < HEADER.size or checksum(message) != 0:
        return None
    kind, _, _, got_ident, got_seq = HEADER.unpack_from(message)
    if kind == ECHO_REPLY:
        return kind if (got_ident, got_seq) == (ident, seq) else None
    if kind in (TIME_EXCEEDED, DESTINATION_UNREACHABLE) and len(message) >= HEADER.size + 20:
        quoted = icmp_of(message[HEADER.size:])
        if len(quoted) >= HEADER.size and HEADER.unpack_from(quoted)[3:] == (ident, seq):
            return kind
    return None


def probe(sock: socket.socket, address: str, ttl: int, ident: int, seq: int, timeout: float):
    """Send probe `seq` with `ttl`; (answer type, sender, RTT in ms), or None on time-out."""
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    sent_at = time.perf_counter()
    sock.sendto(echo_request(ident, seq), (address, 0))
    deadline = sent_at + timeout
    while (remaining := deadline - time.perf_counter()) > 0:
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            break
        packet, (sender, _) = sock.recvfrom(2048)
        kind = answer_type(packet, ident, seq)
        if kind is not None:
            return kind, sender, (time.perf_counter() - sent_at) * 1000
    return None


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
    print(f"traceroute to {args.host} ({address}), {args.max_hops} hops max")
    seq = 0
    for ttl in range(1, args.max_hops + 1):
        parts, sender, reached = [], None, False
        for _ in range(PROBES_PER_HOP):
            seq += 1
            answer = probe(sock, address, ttl, ident, seq, args.timeout)
            if answer is None:
                parts.append("*")
                continue
            kind, answered_by, rtt = answer
            if answered_by != sender:
                parts.append(answered_by)
                sender = answered_by
            parts.append(f"{rtt:.3f} ms")
            reached = reached or kind == ECHO_REPLY
        print(f"{ttl:2d}  " + "  ".join(parts))
        if reached:
            break
    sock.close()


if __name__ == "__main__":
    main()
