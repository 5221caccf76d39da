"""Web proxy with a cache: your part of LABS.md, lab `proxy`.

Usage: python proxy.py [PORT]   (default port 8888)

To do: an HTTP forward proxy, one request per client connection. Read the
request head (up to the empty line) and parse its request line, in either
form:
  absolute form (a browser set to use the proxy): GET http://HOST[:PORT]/PATH HTTP/1.1
  the textbook's form (http://localhost:8888/www.example.com/): GET /HOST[:PORT]/PATH HTTP/1.1
Look the URL up in the cache (files under ./cache): if it is there, send the
stored response. Otherwise fetch it from the origin (port 80 unless given)
with "GET /PATH HTTP/1.1" (the query string kept), "Host: HOST[:PORT]" and
"Connection: close", read its response until the origin closes, and relay it
to the client byte for byte (status line, headers, body). Store a 200
response to a GET in the cache. Then close the client connection.
Optional: 502 Bad Gateway for an origin that cannot be resolved or reached,
400 Bad Request for a malformed request line (the proxy goes on); POST
forwarded with its body, never cached; cache validation (max-age, Expires,
If-Modified-Since, If-None-Match); a thread per client; CONNECT tunnels.
Do not use http.server, http.client, urllib.request, requests or
socketserver: speak HTTP over the sockets yourself.
"""

import argparse
import os
import socket

CACHE_DIR = "cache"  # under the working directory the proxy was started in


def read_head(client: socket.socket) -> tuple[bytes, bytes] | None:
    """Read the request head from the client: the request line and the header
    lines, up to and including the empty line that ends them (b"\\r\\n\\r\\n").

    Return (head, rest): rest is whatever recv() gave after the empty line
    (the start of a POST body). Return None if the client closes first.
    """
    # TODO(student): recv() chunks into a buffer until it holds b"\r\n\r\n"
    # (a request may arrive in several segments, or the head and the body in
    # one); recv() returning b"" means the client left: return None.
    # Give up (400) on a head that grows past some limit, e.g. 64 KB.
    raise NotImplementedError("read_head")


def parse_request_line(line: str) -> tuple[str, str, int, str]:
    """(method, host, port, path) from a request line in either form.

    "GET http://www.example.com/a/b.html?x=1 HTTP/1.1" gives
    ("GET", "www.example.com", 80, "/a/b.html?x=1"), and so does
    "GET /www.example.com/a/b.html?x=1 HTTP/1.1";
    "GET /localhost:8080/ HTTP/1.0" gives ("GET", "localhost", 8080, "/").
    A path that is missing is "/". Raise ValueError for a malformed line
    (not three space-separated parts, no host, a port that is not a number).
    """
    # TODO(student): split the line into method, target and version.
    # TODO(student): absolute form: the target starts with "http://"; the
    # host (and ":PORT") runs up to the next "/", the rest is the path.
    # TODO(student): textbook form: the target starts with "/"; drop that
    # "/", then the same: HOST[:PORT] up to the next "/", the rest is the path.
    raise NotImplementedError("parse_request_line")


def cache_path(url: str) -> str:
    """The file under CACHE_DIR that holds the stored response for url.

    Different URLs, query strings included, must never share a file.
    """
    # TODO(student): a URL holds "/", "?" and ":", which a file name cannot
    # all take: use a digest of the URL (hashlib.sha256(url.encode())
    # .hexdigest()) or escape it, and join it to CACHE_DIR.
    raise NotImplementedError("cache_path")


def origin_request(method: str, host: str, port: int, path: str, body: bytes = b"") -> bytes:
    """The request the proxy sends to the origin, as bytes.

    The request line in origin form ("GET /PATH HTTP/1.1"), a
    "Host: HOST[:PORT]" header naming the origin (not the proxy),
    "Connection: close", the empty line, then the body (POST only).
    """
    # TODO(student): every line ends in "\r\n"; the head ends with an empty
    # line. Add ":PORT" to the Host header when the port is not 80.
    # TODO(student): optional, POST: add "Content-Length: <len(body)>".
    # TODO(student): optional, validation: add "If-None-Match" (from the
    # stored ETag) or "If-Modified-Since" (from the stored Last-Modified).
    raise NotImplementedError("origin_request")


def fetch(host: str, port: int, request: bytes, client: socket.socket) -> bytes:
    """Send request to the origin at (host, port), relay its response to the
    client as it arrives, and return the whole response (for the cache).

    The origin closes the connection after its response ("Connection:
    close"): read until recv() returns b"".
    """
    # TODO(student): socket.create_connection((host, port), timeout=...),
    # sendall(request), then loop: recv() a chunk, client.sendall() it
    # unchanged (bytes, never decoded: images and 10 MB files too), and keep
    # it. An origin that cannot be resolved or reached raises OSError
    # (socket.gaierror, ConnectionRefusedError): optional, answer 502.
    raise NotImplementedError("fetch")


def handle(client: socket.socket) -> None:
    """Serve one client connection: one request, one response, then close it."""
    try:
        # TODO(student): client.settimeout(...), so a silent client cannot
        # hold the proxy for ever; head = read_head(client); on None return.
        # TODO(student): decode the head's first line and parse_request_line()
        # it. Optional, errors: on ValueError send "HTTP/1.1 400 Bad Request"
        # with an empty line ("\r\n\r\n") and return.
        # TODO(student): the cache. For a GET, url = f"http://{host}:{port}{path}";
        # if cache_path(url) exists, sendall() its bytes and return: the
        # origin is not contacted (it may even be gone).
        # TODO(student): otherwise response = fetch(host, port,
        # origin_request(method, host, port, path), client).
        # TODO(student): if the method is GET and the response's status line
        # says 200 (b"HTTP/1.1 200 OK"...: look at the code, the 2nd part),
        # write the response to cache_path(url) (mode "wb").
        # TODO(student): optional, errors: an origin you cannot reach gets
        # "HTTP/1.1 502 Bad Gateway"; an origin's 404 is relayed, not cached.
        # TODO(student): optional, POST: read the body after the head
        # (Content-Length bytes, starting with the rest read_head returned),
        # forward it with origin_request(..., body), relay; never cache.
        # TODO(student): optional, validation: keep the time a response goes
        # stale (Cache-Control: max-age, Expires; neither: never) beside the
        # cached file; a stale entry is asked again with If-None-Match or
        # If-Modified-Since; on 304 serve the cached response, on 200 serve
        # and store the new one. Never cache Cache-Control: no-store.
        # TODO(student): optional, CONNECT HOST:PORT: connect to the origin,
        # send "HTTP/1.1 200 Connection established\r\n\r\n", then copy
        # bytes both ways (a thread per direction) until either side closes.
        pass
    # TODO(student): one bad client or origin must not stop the proxy: catch
    # OSError (the client left, a time-out...) here.
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A caching web proxy")
    parser.add_argument("port", nargs="?", type=int, default=8888,
                        help="TCP port to listen on (default 8888)")
    args = parser.parse_args()
    os.makedirs(CACHE_DIR, exist_ok=True)

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(("", args.port))
    server_socket.listen(64)
    print(f"Proxy ready on port {args.port}")

    while True:
        client, address = server_socket.accept()
        # TODO(student): optional, concurrency: run handle(client) in its own
        # thread (threading.Thread(..., daemon=True)), so a client waiting on
        # a slow origin never holds up the others.
        handle(client)


if __name__ == "__main__":
    main()
