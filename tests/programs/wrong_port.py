# Listens, but on a port of its own choosing (the kernel's, via port 0) instead of argv[1]; prints that port.
import socket
import threading

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen()
print(server.getsockname()[1])
threading.Event().wait()
