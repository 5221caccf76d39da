"""A caching web proxy (LABS.md, lab `proxy`).

Usage: python proxy.py [PORT]   (default port 8888)

Each client connection is handled in its own thread and carries one request,
in either form:

- absolute form, as a browser set to use the proxy sends it:
  ``GET http://HOST[:PORT]/PATH HTTP/1.1``;
- the textbook's form: ``GET /HOST[:PORT]/PATH HTTP/1.1``.

The proxy asks the origin for ``/PATH`` with ``Host: HOST[:PORT]`` and
``Connection: close``, and relays its response byte for byte. A ``200``
answer to a ``GET`` is kept in ``./cache`` (the response as it came, and a
small JSON file saying until when it is fresh) and served from there until it
goes stale by ``Cache-Control: max-age`` or ``Expires``; a stale entry is
revalidated with ``If-None-Match`` / ``If-Modified-Since``. ``no-store``
responses, errors and ``POST`` are never cached. ``CONNECT HOST:PORT`` opens a
tunnel. Its own errors: ``400`` for a malformed request, ``502`` for an origin
it cannot resolve or reach, ``504`` for one that does not answer in time.
"""

import argparse
import email.utils
import hashlib
import json
import os
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

CACHE_DIR = "cache"
MAX_HEAD_BYTES = 64 * 1024   # request line + headers
CLIENT_TIMEOUT = 10.0        # a client that stays silent this long is dropped
ORIGIN_TIMEOUT = 30.0        # an origin that stays silent this long gets a 504
HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "te", "trailer",
              "transfer-encoding", "upgrade", "host"}


class Refusal(Exception):
    """An answer of the proxy's own instead of the origin's: its code, reason and why."""

    def __init__(self, code: int, reason: str, why: str) -> None:
        super().__init__(why)
        self.code = code
        self.reason = reason


def bad_request(why: str) -> Refusal:
    return Refusal(400, "Bad Request", why)


def read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """Read up to the empty line: (head, the bytes after it), or None if the peer left first."""
    data = b""
    while True:
        for end in (b"\r\n\r\n", b"\n\n"):
            index = data.find(end)
            if index >= 0:
                return data[:index + len(end)], data[index + len(end):]
        if len(data) > MAX_HEAD_BYTES:
            raise bad_request("request head too long")
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk


def parse_head(head: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    """The first line's parts and the header fields of a request or response head."""
    lines = head.decode("latin-1").splitlines()
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return lines[0].split(" "), headers


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def split_target(target: str) -> tuple[str, int, str]:
    """(host, port, path with query) from either request form."""
    if target.lower().startswith("http://"):
        url = urlsplit(target)
        hostport, path = url.netloc, url.path or "/"
        if url.query:
            path += "?" + url.query
    elif target.startswith("/"):
        hostport, _, rest = target[1:].partition("/")
        path = "/" + rest
    else:
        raise bad_request(f"cannot read the target {target!r}")
    host, _, port = hostport.partition(":")
    if not host or (port and not port.isdigit()):
        raise bad_request(f"no origin in the target {target!r}")
    return host, int(port or 80), path


def host_field(host: str, port: int) -> str:
    return host if port == 80 else f"{host}:{port}"


def simple_response(code: int, reason: str) -> bytes:
    body = f"<html><body><h1>{code} {reason}</h1></body></html>\n".encode()
    return (f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


# --- the cache ---------------------------------------------------------------


def cache_paths(url: str) -> tuple[str, str]:
    """The files of a URL's entry: the response as received, and its metadata."""
    name = hashlib.sha256(url.encode()).hexdigest()
    return os.path.join(CACHE_DIR, name + ".response"), os.path.join(CACHE_DIR, name + ".json")


def write_atomically(path: str, data: bytes) -> None:
    temporary = f"{path}.{threading.get_ident()}.tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def directives(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Cache-Control directives, names lowercased: {"max-age": "60", "no-store": ""}."""
    found = {}
    for key, value in headers:
        if key.lower() == "cache-control":
            for part in value.split(","):
                name, _, argument = part.strip().partition("=")
                found[name.lower()] = argument.strip('"')
    return found


def fresh_until(headers: list[tuple[str, str]], now: float) -> float | None:
    """When a response received now goes stale; None for never (the textbook's cache)."""
    control = directives(headers)
    if "no-cache" in control:
        return now
    if "max-age" in control:
        try:
            age = int(header(headers, "Age") or 0)
            return now + int(control["max-age"]) - age
        except ValueError:
            return now
    expires = header(headers, "Expires")
    if expires is None:
        return None
    try:
        expires_at = email.utils.parsedate_to_datetime(expires).timestamp()
        date = header(headers, "Date")
        sent_at = email.utils.parsedate_to_datetime(date).timestamp() if date else now
    except (TypeError, ValueError):
        return now  # an invalid Expires means already expired (RFC 9111 5.3)
    return now + expires_at - sent_at


def store(url: str, response: bytes) -> None:
    """Keep a 200 response to a GET, unless it says no-store."""
    head = response[:response.find(b"\r\n\r\n") + 4]
    status_line, headers = parse_head(head)
    if len(status_line) < 2 or status_line[1] != "200" or "no-store" in directives(headers):
        return
    body_path, meta_path = cache_paths(url)
    now = time.time()
    meta = {"url": url, "fresh_until": fresh_until(headers, now),
            "etag": header(headers, "ETag"), "last_modified": header(headers, "Last-Modified")}
    write_atomically(body_path, response)
    write_atomically(meta_path, json.dumps(meta).encode())


def lookup(url: str) -> tuple[bytes, dict] | None:
    body_path, meta_path = cache_paths(url)
    try:
        with open(body_path, "rb") as body_file, open(meta_path, "rb") as meta_file:
            return body_file.read(), json.loads(meta_file.read())
    except (OSError, ValueError):
        return None


def refresh(url: str, meta: dict, not_modified_head: bytes, stored: bytes) -> None:
    """After a 304: the entry is fresh again, by the 304's headers or else the stored ones."""
    _, headers = parse_head(not_modified_head)
    if "max-age" not in directives(headers) and header(headers, "Expires") is None:
        _, headers = parse_head(stored[:stored.find(b"\r\n\r\n") + 4])
    meta["fresh_until"] = fresh_until(headers, time.time())
    write_atomically(cache_paths(url)[1], json.dumps(meta).encode())


# --- talking to the origin ------------------------------------------------------


def origin_request(method: str, host: str, port: int, path: str,
                   headers: list[tuple[str, str]], extra: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_field(host, port)}"]
    skip = HOP_BY_HOP | {name.lower() for name, _ in extra}
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in skip]
    lines += [f"{name}: {value}" for name, value in extra]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def fetch(host: str, port: int, request: bytes, client: socket.socket | None) -> bytes:
    """Send the request, read the response to the close; stream it to the client if given.

    Refuses with 502 when the origin cannot be resolved or reached or sends
    nothing, with 504 when it stays silent; once bytes went to the client, a
    broken origin only ends the relay.
    """
    origin = connect(host, port)
    with origin:
        origin.sendall(request)
        response = bytearray()
        while True:
            try:
                chunk = origin.recv(262144)
            except socket.timeout:
                if response:
                    raise
                raise Refusal(504, "Gateway Timeout", f"{host}:{port} sent nothing in {ORIGIN_TIMEOUT:g} s") from None
            if not chunk:
                if not response:
                    raise Refusal(502, "Bad Gateway", f"{host}:{port} closed without a response")
                return bytes(response)
            response += chunk
            if client is not None:
                client.sendall(chunk)


def connect(host: str, port: int) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=ORIGIN_TIMEOUT)
    except OSError as error:  # socket.gaierror for a name that does not resolve
        raise Refusal(502, "Bad Gateway", f"cannot reach {host}:{port}: {error}") from None


def forward(client: socket.socket, method: str, target: str,
            headers: list[tuple[str, str]], body: bytes) -> None:
    host, port, path = split_target(target)
    url = f"http://{host_field(host, port)}{path}"
    if method != "GET":
        fetch(host, port, origin_request(method, host, port, path, headers, [], body), client)
        return
    cached = lookup(url)
    if cached is None:
        store(url, fetch(host, port, origin_request(method, host, port, path, headers, [], b""), client))
        return
    stored, meta = cached
    if meta["fresh_until"] is None or time.time() < meta["fresh_until"]:
        client.sendall(stored)
        return
    conditions = []
    if meta.get("etag"):
        conditions.append(("If-None-Match", meta["etag"]))
    if meta.get("last_modified"):
        conditions.append(("If-Modified-Since", meta["last_modified"]))
    response = fetch(host, port, origin_request(method, host, port, path, headers, conditions, b""), None)
    if response.split(b" ", 2)[1:2] == [b"304"]:
        refresh(url, meta, response, stored)
        client.sendall(stored)
    else:
        client.sendall(response)
        store(url, response)


# --- CONNECT ---------------------------------------------------------------------


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until the source closes, then close the sink's writing side."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    try:
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def tunnel(client: socket.socket, target: str, early: bytes) -> None:
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise bad_request(f"CONNECT needs HOST:PORT, not {target!r}")
    with connect(host, int(port)) as origin:
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        origin.settimeout(None)
        client.settimeout(None)
        if early:
            origin.sendall(early)
        upstream = threading.Thread(target=pipe, args=(client, origin), daemon=True)
        upstream.start()
        pipe(origin, client)
        upstream.join()


# --- one client --------------------------------------------------------------------


def read_body(client: socket.socket, headers: list[tuple[str, str]], early: bytes) -> bytes:
    length = header(headers, "Content-Length")
    if length is None:
        return b""
    if not length.strip().isdigit():
        raise bad_request(f"Content-Length {length!r}")
    body = early
    while len(body) < int(length):
        chunk = client.recv(65536)
        if not chunk:
            break
        body += chunk
    return body[:int(length)]


def handle(client: socket.socket) -> None:
    try:
        client.settimeout(CLIENT_TIMEOUT)
        received = read_head(client)
        if received is None:
            return
        head, early = received
        request_line, headers = parse_head(head)
        if len(request_line) != 3 or not request_line[2].startswith("HTTP/"):
            raise bad_request(f"malformed request line {' '.join(request_line)!r}")
        method, target, _version = request_line
        if method == "CONNECT":
            tunnel(client, target, early)
        else:
            forward(client, method, target, headers, read_body(client, headers, early))
    except Refusal as refusal:
        print(f"{refusal.code}: {refusal}", file=sys.stderr)
        try:
            client.sendall(simple_response(refusal.code, refusal.reason))
        except OSError:
            pass
    except OSError:
        pass  # the client left, or the origin broke off in the middle of its response
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A caching web proxy.")
    parser.add_argument("port", nargs="?", type=int, default=8888)
    args = parser.parse_args()
    os.makedirs(CACHE_DIR, exist_ok=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", args.port))
    listener.listen(64)
    print(f"Proxy ready on port {args.port}")
    while True:
        client, _address = listener.accept()
        threading.Thread(target=handle, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
