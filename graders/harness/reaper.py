"""Kills a grading's programs once the grading is gone, however it ended (Linux).

Run as ``python -I -S reaper.py VARIABLE TOKEN`` by ``parent_death.reaper_tag``, in a session of
its own (a signal to the grading's group or terminal does not reach it), its stdin a pipe that only
the grading holds. When that pipe ends (the grading exited, or was killed, SIGKILL included), it
kills every process whose environment has ``VARIABLE=TOKEN``, the grading's programs and what they
forked, and every other process of their sessions (a helper run with an empty environment), again
until none is left. A session is found through a tagged process still alive in it: not the root's
(PR_SET_PDEATHSIG kills it as the grading dies), a worker it forked. A process that both left its
session and scrubbed its environment is out of its reach, as it is out of ``Program.stop``'s. The
standard library only, /proc only: it starts in a few tens of milliseconds, once per grading.
"""

import os
import signal
import sys
import time

WITHIN = 10.0  # seconds for the last of them to be gone: a fork bomb forks while it is killed
POLL = 0.01  # seconds between two scans, while some are still seen


def main() -> None:
    variable, token = sys.argv[1], sys.argv[2]
    tag = f"\0{variable}={token}\0".encode()
    while sys.stdin.buffer.read(65536):
        pass
    deadline = time.monotonic() + WITHIN
    while (found := programs(tag)) and time.monotonic() < deadline:
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue  # gone meanwhile
        time.sleep(POLL)


def programs(tag: bytes) -> set[int]:
    """The live processes tagged, and every live process of a tagged one's session."""
    sessions: dict[int, int] = {}
    tagged: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        session = live_session(int(name))
        if session is None:
            continue
        sessions[int(name)] = session
        if tag in b"\0" + read(f"/proc/{name}/environ") + b"\0":
            tagged.add(int(name))
    theirs = {sessions[pid] for pid in tagged}
    return tagged | {pid for pid, session in sessions.items() if session in theirs}


def live_session(pid: int) -> int | None:
    """Its session, from /proc/PID/stat; None once it is gone or a zombie (it runs nothing, and
    its parent, or init, reaps it)."""
    stat = read(f"/proc/{pid}/stat")
    fields = stat.rpartition(b")")[2].split()
    if len(fields) < 4 or fields[0] in (b"Z", b"X"):
        return None
    return int(fields[3])


def read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


if __name__ == "__main__":
    main()
