"""A small multithreaded web server (LABS.md, lab `webserver`).

Usage: python webserver.py [PORT]   (default port 6789)

Serves the files of the directory it was started in. Each connection is
handled in its own thread and carries one request:

- ``GET /NAME HTTP/1.x`` for a file: ``200 OK`` with ``Content-Type``,
  ``Content-Length`` and the file's bytes;
- a missing file or a directory: ``404 Not Found``;
- a path that would leave the served directory: ``403 Forbidden``;
- a malformed request line: ``400 Bad Request``; another method than GET:
  ``501 Not Implemented``.

The server closes the connection after each response and keeps running
whatever a client does, until it is killed.
"""

import argparse
import mimetypes
import os
import socket
import sys
import threading
from urllib.parse import unquote

MAX_HEAD_BYTES = 64 * 1024  # request line + headers
TIMEOUT_SECONDS = 10.0      # a client that stays silent this long is dropped

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}


def read_request_head(connection: socket.socket) -> bytes | None:
    """Read the request line and headers, up to the empty line ending them.

    Returns None if the client closes the connection before that. Stops
    reading once more than MAX_HEAD_BYTES have arrived.
    """
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data:
        if len(data) > MAX_HEAD_BYTES:
            break
        chunk = connection.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def content_type(path: str) -> str:
    """Guess a file's media type from its extension."""
    extension = os.path.splitext(path)[1].lower()
    if extension in CONTENT_TYPES:
        return CONTENT_TYPES[extension]
    guessed, _encoding = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def resolve_target(target: str, root: str) -> str | None:
    """Map a request target such as "/a%20b.txt?x=1" to a path under root.

    Returns None when the target must be refused: it would leave root
    (through "..", an encoded "/", a symbolic link...) or is otherwise odd.
    """
    path = target.split("?", 1)[0]
    path = unquote(path)
    if path.startswith("//") or "\0" in path:
        return None
    full_path = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if os.path.commonpath([root, full_path]) != root:
        return None
    return full_path


def send_head(connection: socket.socket, status: str, media_type: str,
              length: int) -> None:
    """Send the status line and headers, each ending in CRLF, then the empty line."""
    head = (f"HTTP/1.1 {status}\r\n"
            f"Content-Type: {media_type}\r\n"
            f"Content-Length: {length}\r\n"
            "Connection: close\r\n"
            "\r\n")
    connection.sendall(head.encode("ascii"))


def send_error(connection: socket.socket, status: str) -> None:
    """Send an error response such as "404 Not Found" with a short HTML body."""
    body = f"<html><body><h1>{status}</h1></body></html>".encode("ascii")
    send_head(connection, status, "text/html; charset=utf-8", len(body))
    connection.sendall(body)


def respond(connection: socket.socket, head: bytes, root: str) -> str:
    """Answer one request; return its status for the log."""
    if len(head) > MAX_HEAD_BYTES:
        send_error(connection, "400 Bad Request")
        return "400 (request too large)"

    request_line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("iso-8859-1")
    parts = request_line.split(" ")
    if (len(parts) != 3 or "" in parts or not parts[2].startswith("HTTP/")
            or not parts[1].startswith("/")):
        send_error(connection, "400 Bad Request")
        return f"400 {request_line!r}"
    method, target, _version = parts
    if method != "GET":
        send_error(connection, "501 Not Implemented")
        return f"501 {request_line!r}"

    path = resolve_target(target, root)
    if path is None:
        send_error(connection, "403 Forbidden")
        return f"403 {request_line!r}"
    if not os.path.isfile(path):
        send_error(connection, "404 Not Found")
        return f"404 {request_line!r}"
    try:
        file = open(path, "rb")
    except OSError:  # e.g. no permission to read it
        send_error(connection, "404 Not Found")
        return f"404 {request_line!r}"

    with file:
        size = os.fstat(file.fileno()).st_size
        send_head(connection, "200 OK", content_type(path), size)
        connection.sendfile(file)  # sends the whole file, chunk by chunk
    return f"200 {request_line!r}"


def close_connection(connection: socket.socket) -> None:
    """Signal the end of the response, then close the connection.

    shutdown(SHUT_WR) sends the client an end of file after all our bytes.
    Reading what the client may still have sent (for a short while) avoids
    a TCP reset that could destroy the end of the response before the
    client has read it.
    """
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(1.0)
        for _ in range(256):  # at most 1 MiB
            if not connection.recv(4096):
                break
    except OSError:
        pass
    connection.close()


def handle_connection(connection: socket.socket, address: tuple[str, int],
                      root: str) -> None:
    """Serve one connection; never let an error escape to the server."""
    client = f"{address[0]}:{address[1]}"
    try:
        connection.settimeout(TIMEOUT_SECONDS)
        head = read_request_head(connection)
        if head is None:
            print(f"{client} left without a complete request")
            connection.close()
            return
        print(f"{client} {respond(connection, head, root)}")
    except Exception as err:  # timeout, reset by the client, or a bug
        print(f"{client} error: {err!r}", file=sys.stderr)
    close_connection(connection)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the current directory over HTTP")
    parser.add_argument("port", nargs="?", type=int, default=6789,
                        help="TCP port to listen on (default 6789)")
    args = parser.parse_args()
    root = os.path.realpath(os.getcwd())

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(("", args.port))
    server_socket.listen(64)
    print(f"Serving {root} on port {args.port}")

    while True:
        try:
            connection, address = server_socket.accept()
        except OSError as err:  # e.g. too many open files: try again
            print(f"accept failed: {err}", file=sys.stderr)
            continue
        threading.Thread(target=handle_connection,
                         args=(connection, address, root), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
