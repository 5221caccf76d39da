"""TCP uppercase server: your part of LABS.md, lab `echo`.

Usage: python tcp_server.py [PORT]   (default port 12000)

To do: on each connection, send back the uppercase of everything received,
however it is split into segments, until the client closes the connection.
"""

import argparse
import socket


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
        connection, address = server_socket.accept()
        # TODO(student): loop: recv() a chunk, stop when it is b"" (the client
        # closed), else sendall() the chunk in upper case.
        # TODO(student): an error on one connection must not stop the server
        # (catch OSError); a thread per connection is allowed.
        connection.close()


if __name__ == "__main__":
    main()
