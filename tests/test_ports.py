"""Ports the harness hands out and sees held: a refusing port stays refusing while a check uses it;
the ports a process holds are read from the kernel as psutil would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import psutil
import pytest

from graders.network import netns, sock_diag
from graders.network.ports import LOOPBACK, Transport, bound_ports, refusing_port


def test_a_refusing_port_refuses_connections() -> None:
    with refusing_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=5).close()


@pytest.mark.parametrize("reuse", [False, True], ids=["plain", "SO_REUSEADDR"])
def test_no_server_beside_the_check_can_take_a_refusing_port(reuse: bool) -> None:
    """A grading beside this one binds its fake servers as asyncio does (SO_REUSEADDR on POSIX):
    while the check holds the port, that bind fails, so the program under test meets a refusal,
    never another grading's server."""
    with refusing_port() as port, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        if reuse:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            server.bind((LOOPBACK, port))


@pytest.mark.skipif(not sock_diag.available(), reason="sock_diag is Linux's")
@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_sock_diag_sees_what_psutil_sees(transport: Transport) -> None:
    """The ports a process holds, from netlink, are the ones psutil reads from /proc/net: a listening
    TCP socket (not a connected one) or a bound UDP socket, IPv4 and IPv6."""
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as four, socket.socket(socket.AF_INET6, kind) as six, socket.socket() as connected:
        four.bind((LOOPBACK, 0))
        six.bind(("::1", 0))
        if transport == "tcp":
            four.listen()
            six.listen()
            connected.connect(four.getsockname())
        table = sock_diag.bound_sockets(transport)
        seen = {table[inode] for inode in sock_diag.socket_inodes(os.getpid()) if inode in table}
        assert {four.getsockname()[1], six.getsockname()[1]} <= seen
        assert connected.getsockname()[1] not in seen
        this = psutil.Process()
        by_psutil = {c.laddr.port for c in this.net_connections(kind=transport) if transport == "udp" or c.status == psutil.CONN_LISTEN}
        assert seen == by_psutil == bound_ports([this], transport)


LISTENS = "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); print(s.getsockname()[1], flush=True); sys.stdin.read()"


@pytest.mark.skipif(not sock_diag.available(), reason="sock_diag is Linux's")
def test_a_port_held_in_another_network_namespace_is_seen_from_outside_it() -> None:
    """A server that hard-codes its port listens in its check's namespace; a failed check asks, from
    the grader's own, whether it still holds that port: asked there, it never did, and each live
    server held up its failed check for a second (a failing textbook proxy took 129 s, not 23)."""
    try:
        namespace = netns.Namespace()
    except OSError as refused:
        pytest.skip(f"no network namespace can be made here: {refused}")
    with namespace.entered():
        server = subprocess.Popen([sys.executable, "-c", LISTENS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        process = psutil.Process(server.pid)
        assert port in bound_ports([process], "tcp")
        with namespace.entered():
            assert port in bound_ports([process, psutil.Process()], "tcp")
    finally:
        server.kill()
        server.wait()
        namespace.close()
