"""When a datagram arrived: the kernel's own stamp where it gives one (SO_TIMESTAMPNS), so a busy
grading process, slow to read it, does not shift the times a check compares. Every fake peer that
reads datagrams (the UDP servers, the ICMP host) reads them through here."""

from __future__ import annotations

import platform
import socket
import struct
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    """When a datagram arrived: the kernel's stamp, or the time it was read where there is none."""

    wall: float  # time.time()'s scale: comparable with the epoch seconds a program writes
    monotonic: float  # time.monotonic()'s scale: for durations

    @classmethod
    def stamped(cls, wall: float | None) -> Arrival:
        now_wall, now = time.time(), time.monotonic()
        return cls(now_wall, now) if wall is None else cls(wall, now - max(0.0, now_wall - wall))


# SO_TIMESTAMPNS (Python does not name it): 35 on Linux's common architectures (asm-generic's value);
# elsewhere a datagram is stamped when it is read.
STAMPS = 35 if sys.platform == "linux" and platform.machine().startswith(("x86_64", "aarch64", "arm", "i686", "riscv")) else None
TIMESPEC = struct.Struct("qq")  # the kernel's struct timespec: seconds, nanoseconds


def stamp_arrivals(sock: socket.socket) -> None:
    """Ask the kernel to stamp each datagram ``sock`` receives (where it can)."""
    if STAMPS is not None:
        sock.setsockopt(socket.SOL_SOCKET, STAMPS, 1)


def receive(sock: socket.socket) -> tuple[bytes, tuple[str, int], Arrival]:
    """A datagram, its sender, and when it arrived (the kernel's stamp, where there is one)."""
    if STAMPS is None or not hasattr(sock, "recvmsg"):
        data, peer = sock.recvfrom(65535)
        return data, peer, Arrival.stamped(None)
    data, ancillary, _, peer = sock.recvmsg(65535, socket.CMSG_SPACE(TIMESPEC.size))
    stamps = [TIMESPEC.unpack(value[: TIMESPEC.size]) for level, kind, value in ancillary if level == socket.SOL_SOCKET and kind == STAMPS]
    return data, peer, Arrival.stamped(stamps[0][0] + stamps[0][1] / 1e9 if stamps else None)
