# Escapes without a trace: a child calls setsid() and forks again (a daemon), the middle process exits, and
# the grandchild re-executes Python with its environment scrubbed of the harness's NETLAB_* variables (as
# `subprocess.Popen(..., env=...)` would), listens on argv[1] forever and writes its pid to daemon.pid.
# The original process exits 0 at once.
import os
import sys

DAEMON = """
import os, socket, sys, threading
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
with open("daemon.pid.tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename("daemon.pid.tmp", "daemon.pid")
threading.Event().wait()
"""

if os.fork() == 0:
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETLAB_")}
    os.execve(sys.executable, [sys.executable, "-c", DAEMON, sys.argv[1]], env)
os._exit(0)
