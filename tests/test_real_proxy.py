"""The reference proxy between two programs nobody here wrote: curl and nginx.

The graders' origins and clients are ours, so a reference that only ever
talks to them could share their mistakes. Here `reference/proxy.py` stands
between Debian's curl (`curl -x`) and Debian's nginx (`apt-get install nginx`;
Debian 12's `nginx-light` is that plus a module), run in the foreground on free
loopback ports with its own configuration (`tests/web/nginx.conf`): pid file,
logs and temporary files in `tmp_path`, its workers as root when pytest is
root (`nobody` could not enter `tmp_path`), else as the user running pytest.
Where nginx is missing or does not start, Python's `http.server` is the origin
instead, and a UserWarning in pytest's summary says why. Only a missing curl
skips the module.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import psutil
import pytest
import trustme

from graders.network.ports import LOOPBACK, bound_ports, free_port
from tests.grading import REFERENCE

CURL = shutil.which("curl")
NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
CONFIG_TEMPLATE = Path(__file__).parent / "web" / "nginx.conf"

READY_WITHIN = 10.0  # seconds from starting nginx or the proxy to its listening sockets
CURL_WITHIN = 60.0  # seconds for one curl run, a few MB through the proxy included
GONE_WITHIN = 5.0  # seconds for a process group to be gone after a signal
POLL = 0.02  # seconds between two looks
HTML = b"<!DOCTYPE html>\n<html><head><title>netlab</title></head><body><p>Hello, proxy.</p></body></html>\n"

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="the servers are run as POSIX process groups"),
    pytest.mark.skipif(CURL is None, reason="curl is not installed: apt-get install nginx curl"),
]


@dataclass(frozen=True)
class Origin:
    """A web server serving `root` on loopback, over HTTP and over TLS (certificate from `ca`)."""

    root: Path
    port: int
    tls_port: int
    ca: Path
    server: str  # how its Server header starts, proof that an answer came from it
    hits: Callable[[str], int]  # how many GETs for a path it has answered

    def url(self, name: str, tls: bool = False) -> str:
        return f"https://{LOOPBACK}:{self.tls_port}/{name}" if tls else f"http://{LOOPBACK}:{self.port}/{name}"


class NginxUnavailable(Exception):
    """Why nginx cannot be the origin here."""


def start(command: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    """A process in its own session (so its whole group can be killed), output to `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)


def listening(popen: subprocess.Popen, ports: set[int], within: float) -> bool:
    """Whether the process is seen listening on all the ports before the deadline or its exit."""
    process = psutil.Process(popen.pid)
    deadline = time.monotonic() + within
    while popen.poll() is None and time.monotonic() < deadline:
        if ports <= bound_ports([process], "tcp"):
            return True
        time.sleep(POLL)
    return False


def stop(popen: subprocess.Popen) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it (nginx's workers too)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=GONE_WITHIN)


def tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(errors="replace").splitlines()[-lines:] if log.is_file() else []
    return "\n".join(f"  | {line}" for line in text) or "  (nothing written)"


@contextlib.contextmanager
def nginx_origin(home: Path, root: Path, cert: trustme.LeafCert, ca: Path) -> Iterator[Origin]:
    """nginx in the foreground (once more on fresh ports if another process took one first)."""
    if NGINX is None:
        raise NginxUnavailable("nginx is not installed (apt-get install nginx)")
    (home / "temp").mkdir(parents=True)
    cert.private_key_pem.write_to_path(str(home / "server.key"))
    (home / "server.pem").write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    log = home / "stderr.log"
    for _attempt in range(2):
        port, tls_port = free_port(), free_port()
        fields = {"HOME": str(home), "ROOT": str(root), "PORT": str(port), "TLS_PORT": str(tls_port),
                  "USER": "user root;" if os.geteuid() == 0 else ""}
        (home / "nginx.conf").write_text(re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m[1]], CONFIG_TEMPLATE.read_text()))
        popen = start([NGINX, "-p", f"{home}/", "-c", str(home / "nginx.conf"), "-e", "stderr"], home, log)
        if port != tls_port and listening(popen, {port, tls_port}, READY_WITHIN):
            break
        status = popen.poll()
        stop(popen)
    else:
        what = f"did not listen within {READY_WITHIN:g} s" if status is None else f"exited with status {status}"
        raise NginxUnavailable(f"{NGINX} {what}:\n{tail(log)}")
    try:  # nginx opens its access log as it starts, and writes a request's line before closing
        yield Origin(root, port, tls_port, ca, "nginx/",
                     lambda path: (home / "access.log").read_text().count(f'"GET {path} HTTP/'))
    finally:
        stop(popen)


@contextlib.contextmanager
def python_origin(root: Path, cert: trustme.LeafCert, ca: Path) -> Iterator[Origin]:
    """http.server on two loopback ports, the second one wrapped in TLS, each in a thread."""
    hits: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            hits.append(self.path)

    handler = functools.partial(Handler, directory=str(root))
    plain, secure = ThreadingHTTPServer((LOOPBACK, 0), handler), ThreadingHTTPServer((LOOPBACK, 0), handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)  # the handshake happens in the handler's thread, at its first read
    secure.socket = context.wrap_socket(secure.socket, server_side=True, do_handshake_on_connect=False)
    for server in (plain, secure):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield Origin(root, plain.server_port, secure.server_port, ca, "SimpleHTTP/", hits.count)
    finally:
        for server in (plain, secure):
            server.shutdown()
            server.server_close()


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Origin]:
    """nginx serving tmp_path/www, or http.server with a warning that says why not nginx."""
    root = tmp_path / "www"
    root.mkdir()
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    cert = ca.issue_cert(LOOPBACK, "localhost")
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(nginx_origin(tmp_path / "nginx", root, cert, tmp_path / "ca.pem"))
        except NginxUnavailable as why:
            warnings.warn(f"{why}\nThe origin is Python's http.server instead.", UserWarning)
            server = stack.enter_context(python_origin(root, cert, tmp_path / "ca.pem"))
        yield server


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[int]:
    """The reference proxy on a free port, its cache in tmp_path/proxy/cache; its port."""
    workdir = tmp_path / "proxy"
    workdir.mkdir()
    port = free_port()
    popen = start([sys.executable, str(REFERENCE / "proxy.py"), str(port)], workdir, tmp_path / "proxy.log")
    try:
        if not listening(popen, {port}, READY_WITHIN):
            pytest.fail(f"proxy.py did not listen on port {port} within {READY_WITHIN:g} s:\n"
                        f"{tail(tmp_path / 'proxy.log')}")
        yield port
    finally:
        stop(popen)


@dataclass(frozen=True)
class Fetched:
    status: int
    head: str  # every header block curl received (with CONNECT, the proxy's own first)
    body: bytes


def fetch(proxy: int, url: str, tmp_path: Path, *options: str) -> Fetched:
    """GET with curl through the proxy: `-q` ignores ~/.curlrc, and no *_proxy variable sends it elsewhere."""
    head, body = tmp_path / "curl.head", tmp_path / "curl.body"
    for stale in (head, body):
        stale.unlink(missing_ok=True)
    env = {name: value for name, value in os.environ.items() if not name.lower().endswith("_proxy")}
    run = subprocess.run([str(CURL), "-q", "-sS", "-x", f"http://{LOOPBACK}:{proxy}", "-D", str(head), "-o", str(body),
                          "-w", "%{http_code}", *options, url],
                         capture_output=True, text=True, timeout=CURL_WITHIN, env=env)
    assert run.returncode == 0, f"curl {url} exited {run.returncode}: {run.stderr}"
    return Fetched(int(run.stdout), head.read_text(errors="replace"), body.read_bytes() if body.exists() else b"")


def expect_from_origin(got: Fetched, origin: Origin, data: bytes) -> None:
    """Status 200, the origin's Server header, and the body byte for byte (compared by digest)."""
    assert got.status == 200 and re.match(r"HTTP/1\.[01] 200 ", got.head), got.head
    assert re.search(rf"^Server: {re.escape(origin.server)}", got.head, re.M | re.I), got.head
    assert (len(got.body), hashlib.sha256(got.body).hexdigest()) == (len(data), hashlib.sha256(data).hexdigest())


def test_html_and_binary_arrive_whole(origin: Origin, proxy: int, tmp_path: Path) -> None:
    """An HTML page and 4 MB of random bytes arrive as the origin serves them, with its headers."""
    for name, data in {"page.html": HTML, "blob.bin": os.urandom(4 << 20)}.items():
        (origin.root / name).write_bytes(data)
        expect_from_origin(fetch(proxy, origin.url(name), tmp_path), origin, data)


def test_second_get_comes_from_the_cache(origin: Origin, proxy: int, tmp_path: Path) -> None:
    """Once fetched, a page is served from the cache even after the origin has lost it."""
    page = origin.root / "cached.html"
    page.write_bytes(HTML)
    expect_from_origin(fetch(proxy, origin.url("cached.html"), tmp_path), origin, HTML)
    page.unlink()
    expect_from_origin(fetch(proxy, origin.url("cached.html"), tmp_path), origin, HTML)
    assert origin.hits("/cached.html") == 1, "the origin was asked twice: the second GET did not use the cache"


def test_unresolvable_host_gives_502_and_the_proxy_goes_on(origin: Origin, proxy: int, tmp_path: Path) -> None:
    """A name that cannot resolve (RFC 6761 .invalid) is a 502; the next request is served as usual."""
    assert fetch(proxy, "http://netlab-test.invalid/", tmp_path).status == 502
    (origin.root / "after.html").write_bytes(HTML)
    expect_from_origin(fetch(proxy, origin.url("after.html"), tmp_path), origin, HTML)


def test_https_through_connect(origin: Origin, proxy: int, tmp_path: Path) -> None:
    """curl tunnels TLS through CONNECT and verifies the origin's certificate: the page arrives."""
    (origin.root / "secure.html").write_bytes(HTML)
    got = fetch(proxy, origin.url("secure.html", tls=True), tmp_path, "--cacert", str(origin.ca))
    expect_from_origin(got, origin, HTML)
    assert origin.hits("/secure.html") == 1
