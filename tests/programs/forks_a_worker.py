# Forks a worker, which runs a helper with an empty environment (no NETLAB_RUN, no grading's tag),
# as a student's worker runs a command with env={...}. All three stay in the program's session and
# wait forever. The worker writes "ROOT WORKER HELPER", their pids, to pids.txt once the helper runs.
import os
import subprocess
import sys
import threading

if os.fork() == 0:
    helper = subprocess.Popen([sys.executable, "-c", "import threading; threading.Event().wait()"], env={})
    with open("pids.tmp", "w") as pids:
        pids.write(f"{os.getppid()} {os.getpid()} {helper.pid}\n")
    os.rename("pids.tmp", "pids.txt")
threading.Event().wait()
