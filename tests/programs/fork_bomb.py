# Forks until the system says no, each child sleeping for ever; then writes how many it made to forks.txt
# and waits to be killed. Safety: it stops at argv[1] children, so even unsandboxed it stays small.
import os
import signal
import time

limit = int(os.sys.argv[1])
made = 0
try:
    while made < limit:
        if os.fork() == 0:
            signal.pause()
            os._exit(0)
        made += 1
except OSError:
    pass
with open("forks.txt.tmp", "w") as f:
    f.write(str(made))
os.rename("forks.txt.tmp", "forks.txt")
time.sleep(600)
