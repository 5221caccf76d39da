# Daemonizes the classic way and leaves: the original process exits 0 at once, while a grandchild in its
# own session (setsid + second fork) gets ready for 0.5 s and then listens on argv[1] forever.
import os
import socket
import sys
import threading
import time

if os.fork() != 0:
    os._exit(0)
os.setsid()
if os.fork() != 0:
    os._exit(0)
time.sleep(0.5)
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
threading.Event().wait()
