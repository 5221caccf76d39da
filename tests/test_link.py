"""The link between a program's network and its peers' network (graders/network/link.py)."""

from __future__ import annotations

import os
import sys

import pytest

from graders.network import link, netns

REFUSED = link.refused() if sys.platform == "linux" else "network namespaces exist on Linux only"


@pytest.mark.skipif(REFUSED is not None, reason=f"no link can be made here: {REFUSED}")
def test_a_network_is_linked_again_at_once_after_its_last_link_is_gone() -> None:
    """A shared proxy's network is linked to a new origins' network for each of its checks: the
    last check's pair is gone by then, not left to the kernel's clean-up (RTNETLINK answers: File
    exists, for a check in three)."""
    with netns.fresh():
        for _ in range(20):
            link.unlinked(link.linked())


@pytest.mark.skipif(REFUSED is not None, reason=f"no link can be made here: {REFUSED}")
def test_a_network_keeps_one_link_until_it_is_closed() -> None:
    """A shared proxy's network serves many checks, each with an origin beside it: linked once, and
    the pair deleted when the network is closed (so the next network, whatever its inode, is linked
    afresh)."""
    network = netns.Namespace()
    far = link.beside(network)
    assert link.beside(network) is far
    network.close()
    with pytest.raises(OSError):
        os.fstat(far.fd)
    with netns.fresh():
        assert link.beside(netns.current()) is not far  # type: ignore[arg-type]
