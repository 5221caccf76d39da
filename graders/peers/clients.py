"""The graders' own clients for a student's servers: every byte recorded, every wait bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from graders.network.ports import LOOPBACK
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.wire import Transcript


class UdpClient:
    """Sends datagrams to a student's UDP server and waits for replies."""

    def __init__(self, port: int, transcript: Transcript | None = None) -> None:
        self.port = port
        self.transcript = transcript or Transcript()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))

    def send(self, payload: bytes) -> None:
        self._sock.sendto(payload, (LOOPBACK, self.port))
        self.transcript.client(payload, datagram=True)

    def reply(self, within: float) -> bytes | None:
        """The next datagram from the server, or None when none came in time."""
        self._sock.settimeout(within)
        try:
            data, _ = self._sock.recvfrom(65535)
        except (socket.timeout, ConnectionResetError):
            self.transcript.event(f"no reply within {within:g} s")
            return None
        self.transcript.server(data, datagram=True)
        return data

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> UdpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TcpClient:
    """One TCP connection to a student's server, both directions recorded."""

    def __init__(self, port: int, transcript: Transcript | None = None, within: float = 2.0) -> None:
        self.port = port
        self.transcript = transcript if transcript is not None else Transcript()
        self.closed_by_server = False
        try:
            self.sock = socket.create_connection((LOOPBACK, port), timeout=within)
        except OSError as error:
            self.transcript.event(f"connecting to port {port} failed: {error}")
            raise CheckFailed(
                expected=f"a server accepting connections on TCP port {port}",
                got=f"connecting failed: {error}",
                wire=self.transcript,
            ) from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as error:
            self.transcript.event(f"sending failed: {error}")
            raise CheckFailed(
                expected="the connection to stay open while the client sends",
                got=f"sending failed: {error} (the server had closed or reset the connection)",
                wire=self.transcript,
            ) from None
        self.transcript.client(data)

    def receive(self, deadline: float) -> bytes:
        """The next bytes from the server; b"" once it closed; raises TimeoutError at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise TimeoutError from None
        except ConnectionResetError:
            self.transcript.event("connection reset by the server")
            self.closed_by_server = True
            return b""
        if data:
            self.transcript.server(data)
        else:
            self.closed_by_server = True
            self.transcript.event("connection closed by the server")
        return data

    def receive_exactly(self, size: int, within: float) -> bytes:
        """``size`` bytes, or whatever came before the server closed or the deadline."""
        return self.receive_until(lambda data: len(data) >= size, within)

    def receive_until(self, enough: Callable[[bytes], bool], within: float) -> bytes:
        """Bytes until ``enough(all so far)``, or whatever came before the server closed or the deadline."""
        deadline = time.monotonic() + within
        data = b""
        while not enough(data):
            try:
                chunk = self.receive(deadline)
            except TimeoutError:
                self.transcript.event(f"nothing more within {within:g} s")
                break
            if not chunk:
                break
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> TcpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
