"""UDP uppercase client: your part of LABS.md, lab `echo`.

Usage: python udp_client.py HOST PORT < lines.txt

To do: send each line of standard input as one datagram and print the
server's reply on one line. Exit 0 at the end of the input.
"""

import argparse
import socket
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP uppercase echo client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server UDP port")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client_socket.settimeout(2.0)  # recvfrom() raises TimeoutError after 2 s

    for line in sys.stdin:
        # TODO(student): send the line without its line ending ("\n" or "\r\n")
        # as one datagram to (args.host, args.port).
        # TODO(student): receive the reply with recvfrom() and print it; if no
        # reply comes in time, say so on stderr and go on with the next line.
        pass

    client_socket.close()


if __name__ == "__main__":
    main()
