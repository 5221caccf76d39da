"""What the graders see of a busy machine's delays while a scenario runs: how late their own short
waits wake.

The graders compete for the same CPUs as the program they judge, so a wait of theirs that wakes
late says the program's waits did too (a heartbeat client's sleep, a server's read). A timing
judgement that the program cannot be faulted for being slow in adds what this saw, and only to
the bound a busy machine pushes against: no delay makes a program early.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

PROBE_EVERY = 0.02  # seconds each wait is asked to last: 50 wakes a second, about 3 ms of CPU a second (a stall shorter by up to this)


class Lateness:
    """``with Lateness() as seen: ...`` then ``seen.worst``: the most any one of its waits overran, in seconds."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def __enter__(self) -> Lateness:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(1)

    def _probe(self) -> None:
        while True:
            asked = time.monotonic()
            if self._stop.wait(PROBE_EVERY):
                return
            self.worst = max(self.worst, time.monotonic() - asked - PROBE_EVERY)
