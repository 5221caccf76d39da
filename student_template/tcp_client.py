"""TCP uppercase client: your part of LABS.md, lab `echo`.

Usage: python tcp_client.py HOST PORT < lines.txt

To do: over one connection, send each line of standard input followed by
"\\n", read the server's reply line and print it. Exit 0 at the end of the
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

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect((args.host, args.port))

    for line in sys.stdin:
        # TODO(student): send the line without its own line ending, plus "\n".
        # TODO(student): recv() until the reply's "\n" has arrived (it may come
        # in several pieces), then print the reply line without its "\n".
        pass

    client_socket.close()


if __name__ == "__main__":
    main()
