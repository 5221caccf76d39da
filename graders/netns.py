"""Network namespaces for programs that hard-code their ports and hosts (a course's textbook mode).

A check whose programs expect port 6789, or a mail server on port 25, runs in a
network namespace of its own: a loopback of its own, on which that port is free
in every run, and on which parallel gradings never meet. The grader's thread
enters it for the check: the sockets it opens there (its clients, its fakes'
listeners), the threads it starts and the programs it spawns all live in it.
Host names the programs use are mapped to loopback by a private ``/etc/hosts``
(``hosts_wrapper``), in a mount namespace of the program's own.

Linux only, and it takes CAP_SYS_ADMIN: root, or root of a user namespace that
this process made for itself (``enter_user_namespace``) where the kernel allows.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
IFREQ = "16sH22x"  # struct ifreq: the interface's name, then ifr_flags in a 24-byte union


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def loopback_up() -> None:
    """Bring up ``lo`` in the calling thread's network namespace (a new one starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, struct.pack(IFREQ, b"lo", 0)))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))


def unshare_network() -> str | None:
    """Move the calling thread (and what it starts from now on) into a new network namespace with
    loopback up; None, or why not."""
    if _libc().unshare(CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}"
    loopback_up()
    return None


class Namespace:
    """A fresh network namespace with loopback up, held open by a descriptor."""

    def __init__(self) -> None:
        made: list[int | str] = []
        maker = threading.Thread(target=self._make, args=(made,))  # unshare moves only that thread
        maker.start()
        maker.join()
        if isinstance(made[0], str):
            raise OSError(made[0])
        self.fd: int = made[0]

    @staticmethod
    def _make(made: list[int | str]) -> None:
        refused = unshare_network()
        made.append(refused if refused else os.open("/proc/thread-self/ns/net", os.O_RDONLY))

    @contextmanager
    def entered(self) -> Iterator[None]:
        """The calling thread in this namespace meanwhile; back where it was after."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            _setns(self.fd)
            yield
        finally:
            _setns(home)
            os.close(home)

    def close(self) -> None:
        os.close(self.fd)


def _setns(fd: int) -> None:
    if _libc().setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), f"setns: {os.strerror(ctypes.get_errno())}")


@contextmanager
def fresh() -> Iterator[None]:
    """A new namespace for the block, closed after it (its programs must be gone by then)."""
    namespace = Namespace()
    try:
        with namespace.entered():
            yield
    finally:
        namespace.close()


def inside(namespace: Namespace | None) -> AbstractContextManager[None]:
    """In ``namespace`` meanwhile; where there is none (LABS.md mode), where we are."""
    return namespace.entered() if namespace is not None else nullcontext()


def enter_user_namespace() -> str | None:
    """Without root: become root of a user namespace of our own, so namespaces can be made.
    Only a single-threaded process may; None, or why it could not."""
    if os.geteuid() == 0:
        return None
    uid, gid = os.geteuid(), os.getegid()
    if _libc().unshare(CLONE_NEWUSER) != 0:
        return f"unshare(CLONE_NEWUSER): {os.strerror(ctypes.get_errno())}"
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    return None


def available() -> str | None:
    """None if namespaces can be made here, or why not."""
    if os.name != "posix" or os.uname().sysname != "Linux":
        return "network namespaces exist on Linux only"
    try:
        Namespace().close()
    except OSError as error:
        return f"{error} (it needs root, or an unprivileged user namespace)"
    if shutil.which("unshare") is None:
        return "util-linux's unshare is missing (for the private /etc/hosts)"
    return None


def hosts_wrapper(hosts: Path) -> list[str]:
    """A command prefix: the program sees ``hosts`` as /etc/hosts, in a mount namespace of its own."""
    return [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)]  # fmt: skip


def hosts_file(names: list[str], into: Path) -> Path:
    """An /etc/hosts mapping ``names`` (and localhost) to 127.0.0.1."""
    path = into / "hosts"
    path.write_text("127.0.0.1\tlocalhost " + " ".join(names) + "\n::1\tlocalhost\n")
    return path
