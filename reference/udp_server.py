"""UDP uppercase echo server (LABS.md, lab `echo`).

Usage: python udp_server.py [PORT]   (default port 12000)

Every datagram received is decoded as UTF-8, uppercased and sent back to
its sender. A datagram that is not valid UTF-8 is ignored; the server keeps
running until it is killed.
"""

import argparse
import socket
import sys


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
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            print(f"ignored a non-UTF-8 datagram from {client_address}",
                  file=sys.stderr)
            continue
        try:
            server_socket.sendto(text.upper().encode("utf-8"), client_address)
        except OSError as err:  # e.g. the reply is too large: keep serving
            print(f"could not reply to {client_address}: {err}",
                  file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
