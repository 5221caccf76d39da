"""TCP uppercase echo client (LABS.md, lab `echo`).

Usage: python tcp_client.py HOST PORT < lines.txt

Opens one connection. For each line of standard input it sends the line
followed by "\\n", reads the server's reply up to its "\\n" (the reply may
arrive in several TCP segments) and prints it. Exits 0 at the end of the
input.
"""

import argparse
import socket
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description="TCP uppercase echo client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server TCP port")
    args = parser.parse_args()

    try:
        client_socket = socket.create_connection((args.host, args.port))
    except OSError as err:
        sys.exit(f"cannot connect to {args.host}:{args.port}: {err}")

    received = b""  # bytes read from the server but not printed yet
    with client_socket:
        for line in sys.stdin:
            message = line.removesuffix("\n").removesuffix("\r")
            client_socket.sendall(message.encode("utf-8") + b"\n")

            # Read until a whole reply line is in the buffer.
            while b"\n" not in received:
                chunk = client_socket.recv(4096)
                if not chunk:
                    sys.exit("the server closed the connection")
                received += chunk
            reply, received = received.split(b"\n", 1)
            print(reply.decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
