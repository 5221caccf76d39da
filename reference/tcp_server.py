"""TCP uppercase echo server (LABS.md, lab `echo`).

Usage: python tcp_server.py [PORT]   (default port 12000)

Accepts connections and serves each in its own thread: everything the
client sends is sent back uppercased, however it is split into TCP
segments, until the client closes its side. A failing client never stops
the server.
"""

import argparse
import socket
import sys
import threading


def serve_client(connection: socket.socket, address: tuple[str, int]) -> None:
    """Echo the uppercase of all data received on one connection."""
    try:
        with connection:
            while True:
                chunk = connection.recv(4096)
                if not chunk:  # the client closed the connection
                    break
                # bytes.upper() changes only ASCII letters, so UTF-8 stays valid.
                connection.sendall(chunk.upper())
    except OSError as err:
        print(f"connection from {address[0]}:{address[1]} failed: {err}",
              file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="TCP uppercase echo server")
    parser.add_argument("port", nargs="?", type=int, default=12000,
                        help="TCP port to listen on (default 12000)")
    args = parser.parse_args()

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(("", args.port))
    server_socket.listen(16)
    print(f"TCP server ready on port {args.port}")

    while True:
        try:
            connection, address = server_socket.accept()
        except OSError as err:  # e.g. too many open files: try again
            print(f"accept failed: {err}", file=sys.stderr)
            continue
        threading.Thread(target=serve_client, args=(connection, address),
                         daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
