"""Network namespaces for programs that hard-code their ports and hosts (a course's textbook mode).

A check whose programs expect port 6789, or a mail server on port 25, runs in a
network namespace of its own: a loopback of its own, on which that port is free
in every run, and on which parallel gradings never meet. The grader's thread
enters it for the check: the sockets it opens there (its clients, its fakes'
listeners), the threads it starts and the programs it spawns all live in it.
Host names the programs use are mapped to loopback by a private ``/etc/hosts``
(``hosts_wrapper``), in a mount namespace of the program's own.

Linux only, and it takes CAP_SYS_ADMIN: root, or root of a user namespace that
this process made for itself (``prepare``) where the kernel allows. Nothing here is
imported or called on other systems but ``prepare``, which says why not.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SIOCSIFADDR, SIOCSIFNETMASK = 0x8916, 0x891C
IFREQ = "16sH22x"  # struct ifreq: the interface's name, then ifr_flags in a 24-byte union
IFREQ_ADDR = "16sHH4s16x"  # struct ifreq: the name, then a sockaddr_in (family, port, address) in the union


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def loopback_up() -> None:
    """Bring up ``lo`` in the calling thread's network namespace (a new one starts with it down)."""
    interface_up("lo")


def interface_up(name: str) -> None:
    """Bring up the interface ``name`` in the calling thread's network namespace."""
    import fcntl  # POSIX only: imported here, so the plugin loads on Windows

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, struct.pack(IFREQ, name.encode(), 0)))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, name.encode(), flags | IFF_UP))


def add_address(label: str, address: str, netmask: str) -> None:
    """Give an interface an IPv4 ``address`` in the calling thread's network namespace: ``label`` is
    the interface's name, or ``NAME:TAG`` for an address besides the one it has (an alias)."""
    import fcntl  # POSIX only: imported here, so the plugin loads on Windows

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for request, value in ((SIOCSIFADDR, address), (SIOCSIFNETMASK, netmask)):
            fcntl.ioctl(sock, request, struct.pack(IFREQ_ADDR, label.encode(), socket.AF_INET, 0, socket.inet_aton(value)))


def add_local_address(address: str) -> None:
    """Make an IPv4 ``address`` one of loopback's in the calling thread's network namespace (an
    alias ``lo:...``), so a client that names its server by address reaches the graders' fake."""
    add_address(f"lo:{address.replace('.', '')[-12:]}", address, "255.255.255.255")
    _ALIASED.add(here())


def aliased() -> bool:
    """Whether loopback has an address of a course's server here: the fakes then listen on every
    address of the namespace, not on 127.0.0.1 only."""
    return sys.platform == "linux" and here() in _ALIASED


def here() -> int:
    """The calling thread's network namespace, by its inode."""
    return os.stat("/proc/thread-self/ns/net").st_ino


_ALIASED: set[int] = set()  # the namespaces (inodes) where add_local_address gave loopback an address


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
        self.inode = os.fstat(self.fd).st_ino
        self._closing: list[Callable[[], None]] = []
        _OPEN[self.inode] = self

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

    def close_with(self, closing: Callable[[], None]) -> None:
        """``closing()`` when this namespace is closed, before it is: what was made to live beside it."""
        self._closing.append(closing)

    def close(self) -> None:
        _OPEN.pop(self.inode, None)
        try:
            for closing in reversed(self._closing):
                closing()
        finally:
            os.close(self.fd)


_OPEN: dict[int, Namespace] = {}  # the namespaces made here and not yet closed, by inode


def current() -> Namespace | None:
    """The calling thread's network namespace, where it is one made here and still open."""
    return _OPEN.get(here())


def namespace_of(pid: int) -> int:
    """The network namespace of process ``pid``, by its inode (OSError once it is gone)."""
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def socket_in_namespace_of(pid: int, family: int, kind: int, protocol: int) -> socket.socket:
    """A socket made in the network namespace of process ``pid``: a socket keeps the namespace it
    was made in, so a thread enters it for the making alone and ends there (OSError where refused)."""
    made: list[socket.socket | OSError] = []

    def make() -> None:
        try:
            with open(f"/proc/{pid}/ns/net", "rb") as namespace:
                _setns(namespace.fileno())
            made.append(socket.socket(family, kind, protocol))
        except OSError as refused:
            made.append(refused)

    maker = threading.Thread(target=make)  # setns moves only that thread, which ends after
    maker.start()
    maker.join()
    if isinstance(made[0], OSError):
        raise made[0]
    return made[0]


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


def prepare() -> str | None:
    """Make this process able to create network namespaces; None, or why it cannot.

    Root can already. A user becomes root of a user namespace of its own, with a network
    namespace of its own as its home: from inside a user namespace, ``setns`` back into a
    network namespace its parent owns is refused (EPERM), so the home must be ours too. It is
    tried in a child first, since a half-made namespace (a distribution that limits them, say)
    would leave this process without its loopback. Only a single-threaded process may do it."""
    if sys.platform != "linux":
        return "network namespaces exist on Linux only"
    if os.geteuid() != 0:
        why = _in_a_child(_own_namespaces)
        if why is None:
            why = _own_namespaces()
        if why is not None:
            return why
    return _can_make_namespaces()


def _own_namespaces() -> str | None:
    """Become root of a new user namespace, in a new network namespace with loopback up."""
    uid, gid = os.geteuid(), os.getegid()
    if _libc().unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWUSER | CLONE_NEWNET): {os.strerror(ctypes.get_errno())}"
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        loopback_up()
    except OSError as error:
        return f"a user namespace was made but not usable: {error}"
    return None


def _can_make_namespaces() -> str | None:
    """None if a network namespace, and a program's private /etc/hosts, can be made here."""
    try:
        Namespace().close()
    except OSError as error:
        return f"{error} (it needs root, or an unprivileged user namespace)"
    if shutil.which("unshare") is None:
        return "util-linux's unshare is missing (for the private /etc/hosts)"
    trial = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, text=True, timeout=10)
    if trial.returncode != 0:
        return f"`unshare --mount` was refused ({trial.stderr.strip()}) (for the private /etc/hosts)"
    return None


def _in_a_child(attempt: Callable[[], str | None]) -> str | None:
    """``attempt()`` and ``_can_make_namespaces()`` in a forked child: what they say, this process untouched."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one thread, as unshare(CLONE_NEWUSER) requires
        try:
            why = attempt() or _can_make_namespaces() or ""
        except BaseException as error:  # noqa: BLE001 - whatever it was, the parent must hear it
            why = f"{type(error).__name__}: {error}"
        os.write(write, why.encode()[:4000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    os.waitpid(pid, 0)
    return said or None


def refused_to_a_grading() -> str | None:
    """Why a grading started now could not make network namespaces (it would ``prepare`` first):
    for the tests, which must not enter a user namespace themselves."""
    probe = "from graders.network import netns; print(netns.prepare() or '')"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    return (done.stdout.strip() or None) if done.returncode == 0 else done.stderr.strip()[-300:]


def hosts_wrapper(hosts: Path) -> list[str]:
    """A command prefix: the program sees ``hosts`` as /etc/hosts, in a mount namespace of its own."""
    return [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)]  # fmt: skip


def hosts_file(addresses: dict[str, str], into: Path) -> Path:
    """An /etc/hosts mapping each name to its address (localhost to 127.0.0.1)."""
    by_address: dict[str, list[str]] = {"127.0.0.1": ["localhost"]}
    for name, address in addresses.items():
        by_address.setdefault(address, []).append(name)
    path = into / "hosts"
    path.write_text("".join(f"{address}\t{' '.join(names)}\n" for address, names in by_address.items()) + "::1\tlocalhost\n")
    return path
