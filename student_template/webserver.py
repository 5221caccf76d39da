"""Web server: your part of LABS.md, lab `webserver`.

Usage: python webserver.py [PORT]   (default port 6789)

To do: answer one HTTP GET request per connection with a file of the
directory the server was started in (200 OK), 404 Not Found for a missing
file, 403 or 404 for a path that leaves that directory, and 400 Bad Request
for a malformed request line. Then close the connection.
Optional exercise 1: serve each connection in its own thread.
Do not use http.server or socketserver: speak HTTP over the socket yourself.
"""

import argparse
import os
import socket


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the current directory over HTTP")
    parser.add_argument("port", nargs="?", type=int, default=6789,
                        help="TCP port to listen on (default 6789)")
    args = parser.parse_args()
    root = os.getcwd()  # the directory whose files are served

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(("", args.port))
    server_socket.listen(16)
    print(f"Serving {root} on port {args.port}")

    while True:
        connection, address = server_socket.accept()
        # TODO(student): recv() until the empty line that ends the request
        # ("\r\n\r\n"); a client may also leave early: that must not stop you.
        # TODO(student): split the request line into method, path and version;
        # if it is not three parts, send "HTTP/1.1 400 Bad Request".
        # TODO(student): refuse paths that leave `root` (/../x, /%2e%2e/x...);
        # send "HTTP/1.1 404 Not Found" and a short HTML body for a missing file.
        # TODO(student): for a file, send "HTTP/1.1 200 OK", Content-Type and
        # Content-Length headers (lines end in "\r\n"), an empty line, the bytes.
        connection.close()


if __name__ == "__main__":
    main()
