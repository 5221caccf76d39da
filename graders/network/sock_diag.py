"""The kernel's table of listening and bound sockets, asked over netlink (Linux's ``sock_diag``).

``/proc/net/tcp`` is what psutil reads, and each read walks every bucket of the
kernel's connection hash, empty or not: about 5 ms of CPU a file on a machine
with memory to spare, twice (IPv4, IPv6) for each look at a starting server.
``sock_diag`` asked for listening sockets only never walks that hash (``ss -l``
asks the same way): the same answer in a hundredth of the time. The answer is
the calling thread's network namespace, as the netlink socket is made there.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
from collections.abc import Iterable

from graders.network import netns

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10
EVERY_STATE = 0xFFFFFFFF
HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, sequence, port id
REQUEST = struct.Struct("=BBBxI48x")  # struct inet_diag_req_v2: family, protocol, extensions, states, and any socket id
ANSWER = struct.Struct("=4x2s46x16xI")  # struct inet_diag_msg: 4 bytes, sport (network order), 46 of the id, 16, inode
PROTOCOLS = {"tcp": (socket.IPPROTO_TCP, 1 << TCP_LISTEN), "udp": (socket.IPPROTO_UDP, EVERY_STATE)}


def available() -> bool:
    return sys.platform == "linux" and hasattr(socket, "AF_NETLINK")


def bound_sockets(transport: str, pid: int | None = None) -> dict[int, int]:
    """Inode to local port of each TCP socket listening (``tcp``) or UDP socket bound (``udp``),
    IPv4 and IPv6, in the calling thread's network namespace, or (``pid``) in that of process
    ``pid``. OSError where the kernel will not say (no netlink in a sandbox, say)."""
    protocol, states = PROTOCOLS[transport]
    found: dict[int, int] = {}
    with _netlink(pid) as netlink:
        for family in (socket.AF_INET, socket.AF_INET6):
            found |= _dump(netlink, family, protocol, states)
    return found


def _netlink(pid: int | None) -> socket.socket:
    """A sock_diag socket where ``pid`` lives (the caller's namespace when None or the same)."""
    if pid is None or netns.namespace_of(pid) == netns.here():
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    return netns.socket_in_namespace_of(pid, socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)


def _dump(netlink: socket.socket, family: int, protocol: int, states: int) -> dict[int, int]:
    body = REQUEST.pack(family, protocol, 0, states)
    netlink.send(HEADER.pack(HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
    found: dict[int, int] = {}
    while True:
        data = netlink.recv(1 << 16)
        if not data:
            raise OSError("sock_diag: the answer ended before its end mark")
        for kind, message in _messages(data):
            if kind == NLMSG_DONE:
                return found
            if kind == NLMSG_ERROR:
                code = -struct.unpack_from("=i", message)[0]
                raise OSError(code, f"sock_diag: {os.strerror(code)}")
            port, inode = _port_and_inode(message)
            if port:
                found[inode] = port


def _messages(data: bytes) -> Iterable[tuple[int, bytes]]:
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, _, _, _ = HEADER.unpack_from(data, offset)
        yield kind, data[offset + HEADER.size : offset + length]
        offset += (length + 3) & ~3


def _port_and_inode(message: bytes) -> tuple[int, int]:
    sport, inode = ANSWER.unpack_from(message)
    return int.from_bytes(sport, "big"), inode


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets a process holds open (none if it is gone or not ours to read)."""
    inodes: set[int] = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes
