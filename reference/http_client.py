"""A minimal HTTP client (LABS.md, lab `webserver`, optional exercise 2).

Usage: python http_client.py SERVER_HOST SERVER_PORT FILENAME

Sends ``GET /FILENAME HTTP/1.1`` to the server and writes the response,
exactly as received (status line, headers, body), to standard output.
Exits 0 when a response arrived, whatever its status; exits 1 with a
message on stderr when the server cannot be reached.
"""

import argparse
import socket
import sys

TIMEOUT_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description="Fetch one file over HTTP")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server TCP port")
    parser.add_argument("filename", help="file to request, with or without a leading /")
    args = parser.parse_args()

    path = args.filename if args.filename.startswith("/") else "/" + args.filename
    request = (f"GET {path} HTTP/1.1\r\n"
               f"Host: {args.host}:{args.port}\r\n"
               "Connection: close\r\n"
               "\r\n")

    received = 0
    try:
        with socket.create_connection((args.host, args.port),
                                      timeout=TIMEOUT_SECONDS) as client_socket:
            client_socket.sendall(request.encode("utf-8"))
            # The server closes the connection after the response: read until then.
            while True:
                chunk = client_socket.recv(65536)
                if not chunk:
                    break
                sys.stdout.buffer.write(chunk)
                received += len(chunk)
    except OSError as err:  # refused, unknown host, timeout, reset...
        sys.stdout.buffer.flush()
        print(f"http_client: {args.host}:{args.port}: {err}", file=sys.stderr)
        sys.exit(1)
    sys.stdout.buffer.flush()

    if received == 0:
        print(f"http_client: {args.host}:{args.port}: empty response", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
