# A textbook TCP server on argv[1] that dies on a client leaving without a request: it reads one request and
# takes its second word (message.split()[1]), so a connect-and-close probe crashes it with an IndexError.
# It prints "connection" for every client it accepts.
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
while True:
    connection, _ = server.accept()
    print("connection")
    message = connection.recv(1024).decode()
    filename = message.split()[1]
    connection.sendall(f"got {filename}\n".encode())
    connection.close()
