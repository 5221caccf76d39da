# A well-behaved UDP server: binds 127.0.0.1 at the port given as argv[1] and echoes datagrams forever.
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    data, address = server.recvfrom(2048)
    server.sendto(data, address)
