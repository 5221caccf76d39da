"""Ports the harness hands out: a refusing port stays refusing while a check uses it."""

from __future__ import annotations

import socket

import pytest

from graders.network.ports import LOOPBACK, refusing_port


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
