"""UDP uppercase server: your part of LABS.md, lab `echo`.

Usage: python udp_server.py [PORT]   (default port 12000)

To do: reply to every datagram with the same text in upper case, sent back
to its sender. A datagram that is not valid UTF-8 must not stop the server.
"""

import argparse
import socket


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP uppercase echo server")
    parser.add_argument("port", nargs="?", type=int, default=12000,
                        help="UDP port to listen on (default 12000)")
    args = parser.parse_args()

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_socket.bind(("", args.port))
    print(f"UDP server ready on port {args.port}")

    while True:
        data, client_address = server_socket.recvfrom(2048)
        # TODO(student): decode `data` as UTF-8 (skip the datagram if that fails),
        # uppercase it and send it back to `client_address` with sendto().


if __name__ == "__main__":
    main()
