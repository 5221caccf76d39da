"""Loopback ports: free ones to hand out, and the ones a process tree holds.

Readiness is observed, never probed (DESIGN.md principle 5): a connect-and-
close probe is itself a client that leaves without a request, which kills the
typical textbook server before the first check has run.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import psutil

from graders.network import netns, sock_diag

Transport = Literal["tcp", "udp"]
Ports = int | Sequence[int]  # where a fake server listens: one port (0: a free one), or each a client might use

LOOPBACK = "127.0.0.1"


def free_port(transport: Transport = "tcp") -> int:
    """A port nothing on loopback holds now (the kernel's choice)."""
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback TCP port that refuses connections, and stays so while the block runs.

    The port is bound but never listened on: a connection gets a reset, and no
    server of a grading beside this one can take the port meanwhile (a port
    that was free a moment ago once became another grading's SMTP server, and
    the proxy under test reached it instead of nothing).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: else a server's SO_REUSEADDR may bind it anyway
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        holder.bind((LOOPBACK, 0))
        yield holder.getsockname()[1]


def port_is_taken(port: int, transport: Transport = "tcp") -> bool:
    """Whether binding ``port`` on loopback fails now."""
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def bound_ports(processes: list[psutil.Process], transport: Transport) -> set[int]:
    """Ports the processes listen on (TCP) or have bound (UDP)."""
    if sock_diag.available():
        try:
            return _bound_by_netlink(processes, transport)
        except OSError:
            pass  # no netlink here: psutil reads the same table from /proc
    ports: set[int] = set()
    for process in processes:
        try:
            connections = process.net_connections(kind=transport)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        for conn in connections:
            if not conn.laddr:
                continue
            if transport == "udp" or conn.status == psutil.CONN_LISTEN:
                ports.add(conn.laddr.port)
    return ports


def _bound_by_netlink(processes: list[psutil.Process], transport: Transport) -> set[int]:
    """Each process asked about in its own network namespace: a program that hard-codes its port
    runs in its check's, which the grader's thread has left by the time a failure asks whether
    its servers still hold their ports (asked here, none did, and each waited a second to die)."""
    namespaces: dict[int, list[int]] = {}
    for process in processes:
        try:
            namespaces.setdefault(netns.namespace_of(process.pid), []).append(process.pid)
        except OSError:
            continue  # gone: it holds nothing
    ports: set[int] = set()
    for pids in namespaces.values():
        table = sock_diag.bound_sockets(transport, pids[0])
        ports |= {table[inode] for pid in pids for inode in sock_diag.socket_inodes(pid) if inode in table}
    return ports
