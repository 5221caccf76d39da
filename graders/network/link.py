"""A network namespace linked to the calling thread's: peers apart from a program on their port.

A proxy that hard-codes port 80 for itself (several handouts say so) binds 0.0.0.0:80 or
127.0.0.1:80, and the graders' origins, which it reaches by name on port 80, cannot listen
there in the same namespace: any address's port 80 collides with 0.0.0.0:80 (EADDRINUSE).
The origins get a namespace of their own, joined to the proxy's by a veth pair that
iproute2's ``ip`` makes (root, or root of the grading's user namespace, may; the addresses are
set with the same ioctls as loopback's). Its addresses are TEST-NET-1's (192.0.2.0/24, RFC
5737), kept for documentation and routed nowhere: here they never leave the two namespaces.
127.0.0.0/8 would not do: the kernel drops loopback addresses that arrive on any other
interface (martians), unless route_localnet is set on both ends.

Linux only, like ``netns``.
"""

from __future__ import annotations

import shutil
import subprocess

from graders.network import netns

NEAR, FAR = "netlab-near", "netlab-far"  # the pair's two ends: the calling thread's, the new namespace's
NEAR_ADDRESS = "192.0.2.1"  # the program's end
FAR_ADDRESS = "192.0.2.2"  # where its peers listen
REFUSING_ADDRESS = "192.0.2.3"  # the far end's too, where nothing listens: a connection there is refused at once
NETMASK = "255.255.255.0"
MADE_WITHIN = 10.0  # seconds `ip` has to make the pair, on a busy machine


def linked() -> netns.Namespace:
    """A fresh network namespace joined to the calling thread's by a veth pair: this end has
    NEAR_ADDRESS, the new namespace's FAR_ADDRESS and REFUSING_ADDRESS. OSError, saying why,
    where it cannot be made."""
    far = netns.Namespace()
    try:
        _make_pair(far)
        netns.add_address(NEAR, NEAR_ADDRESS, NETMASK)
        netns.interface_up(NEAR)
        with far.entered():
            netns.add_address(FAR, FAR_ADDRESS, NETMASK)
            netns.add_address(f"{FAR}:r", REFUSING_ADDRESS, NETMASK)
            netns.interface_up(FAR)
    except OSError:
        far.close()
        raise
    return far


def beside(network: netns.Namespace) -> netns.Namespace:
    """The namespace linked to ``network``: made from inside it on first use, then the same one
    until ``network`` is closed, which deletes the pair. A shared proxy's network serves many
    checks, each with an origin beside it: one pair for them all, not one each (26 ms to make
    one and 40 ms to delete it at a load of 16, of each of a textbook proxy's 19 shared checks)."""
    if network.inode not in _BESIDE:
        with network.entered():
            _BESIDE[network.inode] = linked()
        network.close_with(lambda: unlinked(_BESIDE.pop(network.inode)))
    return _BESIDE[network.inode]


_BESIDE: dict[int, netns.Namespace] = {}  # per open namespace (by inode), the one linked to it


def unlinked(far: netns.Namespace) -> None:
    """Close ``far`` and its pair at once: closed alone, a namespace goes when the kernel's
    clean-up gets to it, and until then the pair's NEAR end stays in the other network, where the
    next link made from it (a shared proxy's network, for its next check) found the name taken
    ("RTNETLINK answers: File exists", 3 to 12 of a textbook proxy's 28 checks skipped). Deleting
    one end of a veth pair deletes both, before ``ip`` returns."""
    ip = shutil.which("ip")
    try:
        if ip is not None:
            with far.entered():  # ``ip`` runs in the network of the thread that starts it
                subprocess.run([ip, "link", "delete", FAR], capture_output=True, timeout=MADE_WITHIN, check=False)
    except subprocess.TimeoutExpired:
        pass  # the pair then goes with the namespace, when the kernel gets to it
    finally:
        far.close()


def refused() -> str | None:
    """Why no link can be made here; None where one can (made once, in a namespace of its own)."""
    try:
        with netns.fresh():
            unlinked(linked())
    except OSError as error:
        return str(error)
    return None


def _make_pair(far: netns.Namespace) -> None:
    """The veth pair, NEAR here and FAR in ``far`` (``ip`` reads the namespace from the descriptor it inherits)."""
    ip = shutil.which("ip")
    if ip is None:
        raise OSError("iproute2's `ip` is not installed (Debian, Ubuntu: `apt install iproute2`)")
    command = [ip, "link", "add", "name", NEAR, "type", "veth", "peer", "name", FAR, "netns", f"/proc/self/fd/{far.fd}"]
    try:
        made = subprocess.run(command, pass_fds=(far.fd,), capture_output=True, text=True, timeout=MADE_WITHIN, check=False)
    except subprocess.TimeoutExpired:
        raise OSError(f"`ip link add ... type veth` did not finish within {MADE_WITHIN:g} s") from None
    if made.returncode != 0:
        raise OSError(f"`ip link add ... type veth` was refused: {made.stderr.strip() or f'exit status {made.returncode}'}")
