"""HTTP client: your part of LABS.md, lab `webserver`, optional exercise 2.

Usage: python http_client.py SERVER_HOST SERVER_PORT FILENAME

To do: send "GET /FILENAME HTTP/1.1" with the headers "Host: HOST:PORT" and
"Connection: close", read the response until the server closes the
connection and write it to standard output exactly as received. Exit 0 when
a response arrived; exit 1 with a message on stderr if you cannot connect.
"""

import argparse
import socket
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description="Fetch one file over HTTP")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server TCP port")
    parser.add_argument("filename", help="file to request, with or without a leading /")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.settimeout(10.0)
    # TODO(student): connect to (args.host, args.port); on OSError print a
    # message naming HOST:PORT to sys.stderr and exit 1.
    # TODO(student): send the request line and headers, each ending in "\r\n",
    # then an empty line "\r\n" (add the leading "/" to the file name if missing).
    # TODO(student): recv() until it returns b"" and write every chunk to
    # sys.stdout.buffer (bytes, so images arrive intact), then flush it.
    client_socket.close()


if __name__ == "__main__":
    main()
