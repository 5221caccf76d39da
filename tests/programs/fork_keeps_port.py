# Listens on argv[1], forks a child that keeps the listening socket and runs forever, then the parent exits.
# The child writes its pid to child.pid in the working directory.
import os
import socket
import sys
import threading

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
if os.fork() == 0:
    with open("child.pid.tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename("child.pid.tmp", "child.pid")
    threading.Event().wait()
os._exit(0)
