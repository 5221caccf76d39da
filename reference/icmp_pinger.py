"""ICMP pinger (LABS.md, lab `icmp`, with optional exercises 1 and 2).

Usage: python icmp_pinger.py HOST [--count N] [--timeout SECONDS]
(a raw socket: root on Linux and macOS, e.g. `sudo python icmp_pinger.py 127.0.0.1`;
an administrator's prompt on Windows)

Sends N ICMP Echo Requests (type 8, code 0), one a second: the identifier is
this process's id, the sequence numbers count from 1, and the payload holds
the send time (time.time() as a big-endian double). After each request it
waits up to the time-out for the Echo Reply with its identifier and sequence
number and a right checksum, ignoring everything else that arrives (its own
requests, other programs' replies, corrupt or stale replies). It prints, per
request, one of

    Reply from HOST: icmp_seq=1 ttl=64 time=12.345 ms
    Request timed out.
    Destination Host Unreachable (from ADDRESS, icmp_seq=1)

(the last for a Destination Unreachable, codes 0, 1 and 3, or a Time Exceeded
that quotes this request), then ping's statistics: the loss, and min/avg/max/
stddev of the RTTs when a reply came. Exits 0.
"""

import argparse
import os
import select
import socket
import struct
import sys
import time

ECHO_REPLY, DESTINATION_UNREACHABLE, ECHO_REQUEST, TIME_EXCEEDED = 0, 3, 8, 11
ERROR_NAMES = {
    (DESTINATION_UNREACHABLE, 0): "Destination Network Unreachable",
    (DESTINATION_UNREACHABLE, 1): "Destination Host Unreachable",
    (DESTINATION_UNREACHABLE, 3): "Destination Port Unreachable",
    (TIME_EXCEEDED, 0): "Time to live exceeded",
}
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence number
SEND_TIME = struct.Struct("!d")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    """An Echo Request whose payload is the send time."""
    payload = SEND_TIME.pack(time.time())
    unsummed = HEADER.pack(ECHO_REQUEST, 0, 0, ident, seq) + payload
    return HEADER.pack(ECHO_REQUEST, 0, checksum(unsummed), ident, seq) + payload


def icmp_of(packet: bytes) -> bytes:
    """The ICMP message in an IP datagram as a raw socket reads it (header first)."""
    return packet[(packet[0] & 0x0F) * 4:]


def answer_to(packet: bytes, ident: int, seq: int) -> tuple[int, int] | None:
    """(type, code) if `packet` is the answer to our request `seq`: its Echo Reply, or an error
    that quotes it; None for anything else (checked by identifier, sequence and checksum)."""
    message = icmp_of(packet)
    if len(message) < HEADER.size or checksum(message) != 0:
        return None
    kind, code, _, got_ident, got_seq = HEADER.unpack_from(message)
    if kind == ECHO_REPLY:
        return (kind, code) if (got_ident, got_seq) == (ident, seq) else None
    if kind in (DESTINATION_UNREACHABLE, TIME_EXCEEDED) and len(message) >= HEADER.size + 20:
        quoted = icmp_of(message[HEADER.size:])
        if len(quoted) >= HEADER.size:
            quoted_kind, _, _, quoted_ident, quoted_seq = HEADER.unpack_from(quoted)
            if (quoted_kind, quoted_ident, quoted_seq) == (ECHO_REQUEST, ident, seq):
                return kind, code
    return None


def wait_for_answer(sock: socket.socket, ident: int, seq: int, deadline: float):
    """Wait until `deadline` (time.perf_counter()) for the answer to request `seq`:
    (type, code, sender, ttl, arrival time), or None on time-out."""
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return None
        packet, (sender, _) = sock.recvfrom(2048)
        arrived = time.perf_counter()
        answer = answer_to(packet, ident, seq)
        if answer is not None:
            return answer[0], answer[1], sender, packet[8], arrived


def print_statistics(host: str, sent: int, rtts: list[float]) -> None:
    loss = 100 * (sent - len(rtts)) / sent if sent else 0
    print(f"--- {host} ping statistics ---")
    print(f"{sent} packets transmitted, {len(rtts)} received, {loss:.0f}% packet loss")
    if rtts:
        average = sum(rtts) / len(rtts)
        stddev = (sum((rtt - average) ** 2 for rtt in rtts) / len(rtts)) ** 0.5
        print(f"rtt min/avg/max/stddev = {min(rtts):.3f}/{average:.3f}/{max(rtts):.3f}/{stddev:.3f} ms")


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
    rtts: list[float] = []

    for seq in range(1, args.count + 1):
        sent_at = time.perf_counter()
        sock.sendto(echo_request(ident, seq), (address, 0))
        answer = wait_for_answer(sock, ident, seq, sent_at + args.timeout)
        if answer is None:
            print("Request timed out.")
        elif answer[0] == ECHO_REPLY:
            _, _, sender, ttl, arrived = answer
            rtt = (arrived - sent_at) * 1000
            rtts.append(rtt)
            print(f"Reply from {sender}: icmp_seq={seq} ttl={ttl} time={rtt:.3f} ms")
        else:
            kind, code, sender, _, _ = answer
            name = ERROR_NAMES.get((kind, code), f"ICMP error type {kind} code {code}")
            print(f"{name} (from {sender}, icmp_seq={seq})")
        if seq < args.count:  # one request a second
            time.sleep(max(0.0, sent_at + 1 - time.perf_counter()))

    print_statistics(args.host, args.count, rtts)
    sock.close()


if __name__ == "__main__":
    main()
