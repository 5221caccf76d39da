# Escapes its process tree: a child calls setsid() and forks again (a classic daemon), the middle process
# exits, and the grandchild - in another session, re-parented away from us - listens on argv[1] forever.
# The daemon writes its pid to daemon.pid in the working directory; the original process just waits.
import os
import socket
import sys
import threading

if os.fork() == 0:
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen()
    with open("daemon.pid.tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename("daemon.pid.tmp", "daemon.pid")
    threading.Event().wait()
threading.Event().wait()
