# Kills its parent process with SIGKILL (Linux only), then exits 0: a grading run must survive this.
# Safety: it fires only when its parent, or an ancestor up to three levels above it, has
# "netlab-kill-target" on its command line (the test's own grading run), so run by hand it does nothing.
import os
import signal


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as f:
        return int(f.read().rsplit(b")", 1)[1].split()[1])


def marked(pid: int) -> bool:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return b"netlab-kill-target" in f.read()


parent = ancestor = os.getppid()
for _ in range(3):
    if ancestor <= 1:
        break
    if marked(ancestor):
        os.kill(parent, signal.SIGKILL)
        break
    ancestor = parent_of(ancestor)
