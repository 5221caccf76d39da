# A slow first start: listens on 127.0.0.1 at the port argv[1], at its first run (no file argv[2] yet) only
# after argv[3] seconds, at every later run at once; then accepts forever.
import socket
import sys
import time
from pathlib import Path

first_run = Path(sys.argv[2])
if not first_run.exists():
    first_run.touch()
    time.sleep(float(sys.argv[3]))  # the slowness this program stands for, not a wait for something
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
while True:
    connection, _ = server.accept()
    connection.close()
