"""ICMP over IPv4 as it crosses the wire: the Internet checksum, the messages the labs use, and
their reading for a transcript.

A raw ``IPPROTO_ICMP`` socket on Linux reads whole IP datagrams (header first) and writes ICMP
messages; an ``IPPROTO_RAW`` socket writes whole datagrams, which lets the graders' fake host
answer from any address of its loopback (a hop of a traceroute) with the TTL it chooses.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

ECHO_REPLY, DESTINATION_UNREACHABLE, ECHO_REQUEST, TIME_EXCEEDED = 0, 3, 8, 11
UNREACHABLE = {0: "Destination Network Unreachable", 1: "Destination Host Unreachable", 3: "Destination Port Unreachable"}
TYPE_NAMES = {ECHO_REPLY: "echo reply", DESTINATION_UNREACHABLE: "destination unreachable", ECHO_REQUEST: "echo request",
              TIME_EXCEEDED: "time exceeded"}  # fmt: skip
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence (the rest of the header, for errors)
IPV4 = struct.Struct("!BBHHHBBH4s4s")  # version and IHL, TOS, total length, id, flags and offset, TTL, protocol, checksum, source, destination
QUOTED = 64  # bytes of the probe's ICMP message an error quotes after its IP header (RFC 792 asks for 8)
REPLY_TTL = 64


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass(frozen=True)
class Icmp:
    """One ICMP message as read: its header, what follows it, and whether its checksum is right."""

    type: int
    code: int
    checksum: int
    ident: int
    seq: int
    body: bytes  # after the 8-byte header: an echo's payload, an error's quoted datagram
    checksum_ok: bool

    @classmethod
    def parse(cls, message: bytes) -> Icmp | None:
        if len(message) < HEADER.size:
            return None
        kind, code, sum_, ident, seq = HEADER.unpack_from(message)
        return cls(kind, code, sum_, ident, seq, message[HEADER.size :], checksum(message) == 0)

    def describe(self, ttl: int | None = None) -> str:
        """The message in words, for a transcript: type, code, identifier, sequence, checksum, TTL."""
        name = TYPE_NAMES.get(self.type, f"type {self.type}")
        parts = [name if self.code == 0 and self.type in (ECHO_REPLY, ECHO_REQUEST) else f"{name} (code {self.code})"]
        if self.type in (ECHO_REPLY, ECHO_REQUEST):
            parts.append(f"id={self.ident:#06x} seq={self.seq}")
        parts.append("checksum right" if self.checksum_ok else f"checksum WRONG ({self.checksum:#06x})")
        if ttl is not None:
            parts.append(f"ttl={ttl}")
        parts.append(f"{HEADER.size + len(self.body)} bytes")
        return ", ".join(parts)


@dataclass(frozen=True)
class Datagram:
    """An IPv4 datagram carrying ICMP, as a raw socket reads it."""

    source: str
    destination: str
    ttl: int
    icmp: Icmp
    raw: bytes  # the whole datagram: an error about it quotes its start

    @classmethod
    def parse(cls, packet: bytes) -> Datagram | None:
        if len(packet) < IPV4.size or packet[0] >> 4 != 4:
            return None
        header_length = (packet[0] & 0x0F) * 4
        fields = IPV4.unpack_from(packet)
        icmp = Icmp.parse(packet[header_length:])
        if fields[6] != socket.IPPROTO_ICMP or icmp is None:
            return None
        return cls(socket.inet_ntoa(fields[8]), socket.inet_ntoa(fields[9]), fields[5], icmp, packet)

    def describe(self) -> str:
        return f"{self.source} > {self.destination}: {self.icmp.describe(self.ttl)}"


def swapped(field: int) -> int:
    """A 16-bit field read in the other byte order: the textbook's struct.pack("bbHHh", ...) packs
    its identifier and sequence number in the host's."""
    return int.from_bytes(field.to_bytes(2, "big"), "little")


def send_time_in(payload: bytes) -> float | None:
    """The double in an echo payload's first 8 bytes, read in either byte order: the one that is a
    plausible ``time.time()`` (None where neither is)."""
    if len(payload) < 8:
        return None
    values = [struct.unpack(order + "d", payload[:8])[0] for order in ("!", "<")]
    plausible = [value for value in values if 1e9 < value < 1e10]  # NaN and far-off values fail the comparison
    return plausible[0] if plausible else None


def message(kind: int, code: int, rest: bytes, body: bytes, corrupt: bool = False) -> bytes:
    """An ICMP message with its checksum (a wrong one where ``corrupt``); ``rest`` is the header's
    last four bytes (identifier and sequence for an echo)."""
    unsummed = struct.pack("!BBH", kind, code, 0) + rest + body
    sum_ = checksum(unsummed) ^ (0x5A5A if corrupt else 0)
    return unsummed[:2] + struct.pack("!H", sum_) + unsummed[4:]


def echo_reply(ident: int, seq: int, payload: bytes, corrupt: bool = False) -> bytes:
    return message(ECHO_REPLY, 0, struct.pack("!HH", ident, seq), payload, corrupt)


def error(kind: int, code: int, about: bytes) -> bytes:
    """A Destination Unreachable or Time Exceeded about the datagram ``about``: its IP header and
    the start of its ICMP message, quoted."""
    header_length = (about[0] & 0x0F) * 4
    return message(kind, code, b"\0\0\0\0", about[: header_length + QUOTED])


def datagram(source: str, destination: str, icmp: bytes, ttl: int = REPLY_TTL) -> bytes:
    """A whole IPv4 datagram for an ``IPPROTO_RAW`` socket (Linux fills in its id and checksum)."""
    total = IPV4.size + len(icmp)
    header = IPV4.pack(0x45, 0, total, 0, 0, ttl, socket.IPPROTO_ICMP, 0, socket.inet_aton(source), socket.inet_aton(destination))
    return header + icmp
