"""Lab `proxy`: Web proxy with a cache, with its optional exercises (LABS.md)."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.harness.runs import Shared
from graders.harness.source_check import expect_no_forbidden_imports
from graders.harness.submission import Submission
from graders.network import link, netns
from graders.network.netns import Namespace
from graders.network.ports import LOOPBACK, refusing_port
from graders.peers.certificates import Certificates, make_certificates
from graders.peers.clients import TcpClient
from graders.peers.documents import WWW, big_file_bytes
from graders.peers.fake_origin import Origin, Request
from graders.peers.http_exchange import CLOSE_WITHIN, HEAD_END, HttpResponse
from graders.peers.proxy_client import FORMS, Form, ProxyClient, request_bytes, through_tunnel
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import CheckFailed, expect, expect_crlf_lines
from graders.vocabulary.wire import Transcript, describe_difference

pytestmark = lab("proxy")

ERRORS = "optional 1: errors"
POST = "optional 2: POST"
VALIDATION = "optional 3: cache validation"
CONCURRENCY = "optional 4: concurrency"
CONNECT = "optional 5: CONNECT"

PAGE = b"<html><head><title>netlab origin</title></head><body><p>caf\xc3\xa9</p></body></html>\n"
IMAGE = (WWW / "image.png").read_bytes()
BIG_WITHIN = 20.0  # a 10 MB body through the proxy over loopback, with room for a busy machine
RESOLVE_WITHIN = 5.0  # a name under .invalid fails to resolve at once, but resolvers differ
WINDOWS_REFUSAL = 2.0  # seconds Windows takes to give up on a refused connection (it resends the SYN twice after a reset)
REFUSED_WITHIN = WINDOWS_REFUSAL + 2.0  # for the 502 of a refused origin, on every system: the same grade on a laptop and a CI
AT_ONCE = 1.0
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding"}  # a proxy may rewrite these
UNRESOLVABLE = "netlab.invalid"  # RFC 6761: never resolves
ORIGIN_NAME = "origin.netlab.test"  # the origins' name where a proxy reaches port 80 only (RFC 6761 .test)
UNREACHABLE = link.REFUSING_ADDRESS  # in the origins' network, where nothing listens on port 80


@dataclass
class Proxy:
    """A student's proxy.py, running on its own port in a fresh working directory."""

    program: Program
    client: ProxyClient

    @property
    def port(self) -> int:
        return self.client.port

    def ask(self, origin: Origin, target: str, within: float = 2.0, method: str = "GET", body: bytes | None = None) -> HttpResponse:
        return self.client.ask(origin, target, within, method, body)


def reaches_port_80_only(launcher: Launcher) -> bool:
    """A proxy that hard-codes its port (the textbook's) reaches origins by name, on port 80 (its
    checks are skipped, saying why, where no namespace can give it that port)."""
    return launcher.peer_port("proxy.py") != 0


def start_proxy(launcher: Launcher) -> Proxy:
    if reaches_port_80_only(launcher):
        launcher.resolve_locally(ORIGIN_NAME, link.FAR_ADDRESS)
    program, port = launcher.serve("proxy.py", "tcp")
    return Proxy(program, ProxyClient(port))


def make_origin(launcher: Launcher, keep_alive: bool = False, root: str = "") -> Origin:
    """An origin on a free port, or, for a proxy that reaches port 80 only, on port 80 by name, in
    a network of the origins' own linked to the proxy's: the proxy may listen on port 80 itself."""
    if not reaches_port_80_only(launcher):
        return Origin(keep_alive, root=root)
    with origins_network(launcher).entered():
        return Origin(keep_alive, port=80, name=ORIGIN_NAME, root=root, host=link.FAR_ADDRESS)


def origins_network(launcher: Launcher) -> Namespace:
    """The origins' network beside the proxy's; a skip, saying why, where none can be linked to it."""
    try:
        return launcher.linked_network()
    except OSError as refused:
        pytest.skip(f"`proxy.py` reaches its origins by name on port 80, which the graders give them in a network of "
                    f"their own beside the proxy's (the proxy may listen on port 80 itself), and none can be linked to it here: {refused}")


@pytest.fixture(scope="module")
def shared_proxy(module_launcher: Launcher) -> Iterator[Shared[Proxy]]:
    shared = Shared(partial(start_proxy, module_launcher), lambda proxy: proxy.program, module_launcher.namespace)
    yield shared
    shared.discard()


@pytest.fixture
def proxy(request: pytest.FixtureRequest, launcher: Launcher, shared_proxy: Shared[Proxy]) -> Iterator[Proxy]:
    """The student's proxy: the one the module's last check left, unless that check failed or the
    proxy died (then a new one: a crash or a broken rule costs one check only); each check's origin
    has paths of its own, so no check is answered from another's cache entry. Where it hard-codes
    its port, the check runs in the proxy's own network."""
    yield from shared_proxy.lend(request.node, launcher.servers)


@pytest.fixture
def fresh_proxy(launcher: Launcher) -> Proxy:
    """A proxy of the check's own, for a check that tries to break it (early leavers, a malformed
    request, a stalled origin, a tunnel): whatever it does to the proxy stays with it."""
    return start_proxy(launcher)


@pytest.fixture
def origin(request: pytest.FixtureRequest, launcher: Launcher) -> Iterator[Origin]:
    """The check's origin, in the network of the check's proxy: a shared proxy that hard-codes its
    port is lent first, so the origin listens where that proxy reaches it (its network's port 80)."""
    if "proxy" in request.fixturenames:
        request.getfixturevalue("proxy")
    origin = make_origin(launcher, root="/" + request.node.name.removeprefix("test_"))
    origin.serve("/page.html", PAGE, content_type="text/html; charset=utf-8")
    origin.serve("/image.png", IMAGE, content_type="image/png")
    yield origin
    origin.close()


def sent_for(origin: Origin, target: str, index: int = -1) -> bytes:
    """The bytes the origin answered the request for ``target`` with (the last one by default)."""
    return origin.exchanges_for(target)[index].response


def relay_differences(response: HttpResponse, sent: bytes) -> list[str]:
    """How a response differs from the origin's, allowing added header lines and rewritten
    hop-by-hop ones (Connection and the like)."""
    end = HEAD_END.search(sent)
    sent_head, sent_body = sent[: end.end()], sent[end.end() :]  # type: ignore[union-attr]
    sent_lines = sent_head.split(b"\r\n")[:-2]
    got_lines = response.head.split(b"\r\n")
    differences = []
    if got_lines[0] != sent_lines[0]:
        differences.append(f"status line {got_lines[0]!r} where the origin sent {sent_lines[0]!r}")
    missing = [line for line in sent_lines[1:] if line not in got_lines and line.split(b":")[0].strip().lower().decode() not in HOP_BY_HOP]
    if missing:
        differences.append("header line(s) of the origin's missing or changed: " + ", ".join(repr(line) for line in missing[:4]))
    if response.body != sent_body:
        differences.append("body: " + describe_difference(response.body, sent_body, "the origin's body"))
    return differences


def expect_relayed(response: HttpResponse, sent: bytes, what: str) -> None:
    differences = relay_differences(response, sent)
    expect(
        not differences,
        expected=f"{what}: the origin's status line, header lines and body ({len(sent)} bytes in all); "
        "header lines may be added",
        got="; ".join(differences),
        wire=response.transcript,
    )


def expect_status(response: HttpResponse, codes: tuple[int, ...], what: str) -> None:
    expect(
        response.status in codes,
        expected=f"status {' or '.join(map(str, codes))} {what}",
        got=f"status {response.status}",
        wire=response.transcript,
    )


def expect_hits(origin: Origin, target: str, wanted: int, why: str, wire: Transcript | None = None) -> None:
    hits = origin.hits(target)
    expect(
        hits == wanted,
        expected=f"the origin asked for {origin.path(target)} {_times(wanted)} ({why})",
        got=f"it was asked {_times(hits)}",
        wire=wire or origin.transcript,
    )


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


# --- core ---------------------------------------------------------------------


def expect_page_relayed_in(form: Form, proxy: Proxy, origin: Origin) -> None:
    """The page asked in this form reached the origin, and its response came back as sent."""
    response = proxy.client.send_in(form, origin.authority, origin.path("/page.html"))
    expect(origin.hits("/page.html") == 1, expected=f"the origin asked for {origin.path('/page.html')}", got="it saw no request",
           wire=response.transcript)
    expect_relayed(response, sent_for(origin, "/page.html"), "the page")


@points(2)
def test_relays_a_page_asked_in_absolute_form(proxy: Proxy, origin: Origin) -> None:
    """Absolute form `GET http://HOST:PORT/PATH HTTP/1.1`: the origin's response, relayed byte for byte."""
    expect_page_relayed_in("absolute", proxy, origin)


@points(2)
def test_relays_a_page_asked_in_the_textbooks_form(proxy: Proxy, origin: Origin) -> None:
    """The textbook's form `GET /HOST:PORT/PATH HTTP/1.1`: the origin's response, relayed byte for byte."""
    expect_page_relayed_in("textbook", proxy, origin)


@points(2)
def test_relays_a_png_image_byte_for_byte(proxy: Proxy, origin: Origin) -> None:
    """A binary body (a PNG image) is relayed byte for byte."""
    response = proxy.ask(origin, "/image.png")
    expect_relayed(response, sent_for(origin, "/image.png"), "the image")


@points(2)
def test_relays_a_10_mb_body_whole(proxy: Proxy, origin: Origin) -> None:
    """Bodies of 10 MB and more are relayed whole, byte for byte."""
    origin.serve("/big.bin", big_file_bytes(), content_type="application/octet-stream")
    response = proxy.ask(origin, "/big.bin", within=BIG_WITHIN)
    expect_relayed(response, sent_for(origin, "/big.bin"), "the 10 MB file")


@points(2)
def test_asks_the_origin_for_the_path_and_query_with_its_host(proxy: Proxy, origin: Origin) -> None:
    """The origin gets `GET /PATH?QUERY HTTP/1.x` (origin form, the query kept) and
    `Host: HOST:PORT` naming the origin, not the proxy (asked in each form the proxy reads)."""
    host = origin.authority
    asked: dict[str, Request] = {}
    for form in FORMS:
        target = f"/page.html?lang=en&q=caf%C3%A9&form={form}"
        try:
            proxy.client.send_in(form, host, origin.path(target))
        except CheckFailed:
            pass  # the relay is judged elsewhere; here, only what reached the origin
        asked.update({target: request for request in origin.requests_for(target)[:1]})
    seen = [f"`{e.request.method} {e.request.target} {e.request.http_version}`" for e in origin.log]
    expect(bool(asked), expected=f"a request to the origin for {origin.path('/page.html')}?lang=en&q=caf%C3%A9&form=... (the query kept)",
           got="the origin saw " + (", ".join(seen) if seen else "no request, in either form"), wire=origin.transcript)
    for target, request in asked.items():
        line = f"{request.method} {request.target} {request.http_version}"
        expect(
            request.target == origin.path(target) and request.http_version in ("HTTP/1.0", "HTTP/1.1") and (request.header("Host") or "").lower() == host,
            expected=f"the request line `GET {origin.path(target)} HTTP/1.x` and `Host: {host}`",
            got=f"the request line {line!r} and " + (f"`Host: {request.header('Host')}`" if request.header("Host") else "no Host header"),
            wire=origin.transcript,
        )


@points(1)
def test_request_lines_to_the_origin_end_in_crlf(proxy: Proxy, origin: Origin) -> None:
    """Every line of the request to the origin (request line, headers, the empty line) ends in CRLF."""
    proxy.ask(origin, "/page.html")
    request = origin.requests_for("/page.html")[0]
    expect_crlf_lines(request.raw[: len(request.raw) - len(request.body)], "the request to the origin", origin.transcript)


@points(2)
def test_reads_a_kept_alive_origin_response_by_its_framing(launcher: Launcher) -> None:
    """Origins keep HTTP/1.1 connections open: a proxy that reads the response until the close
    sends `Connection: close`; otherwise it reads the response by its framing (`Content-Length`)
    and answers at once."""
    proxy = start_proxy(launcher)
    origin = make_origin(launcher, keep_alive=True)
    try:
        origin.serve("/page.html", PAGE)
        response = proxy.ask(origin, "/page.html")
        request = origin.requests_for("/page.html")[0]
    finally:
        origin.close()
    asked = f"{request.method} {request.target} {request.http_version}" + (
        f" with `Connection: {request.header('Connection')}`" if request.header("Connection") else " with no Connection header")
    differences = relay_differences(response, sent_for(origin, "/page.html"))
    expect(
        (request.wants_close() or response.closed) and not differences,
        expected="the page, whole, and the proxy done with it: it asked for the close, or it closed the client's "
        f"connection within {CLOSE_WITHIN:g} s of the page's last byte",
        got=f"the proxy asked `{asked}` (the origin keeps that connection open), and "
        + ("; ".join(differences) if differences else "the client's connection stayed open: was the proxy waiting for the origin to close?"),
        wire=response.transcript,
    )


@points(1)
def test_closes_the_client_connection_after_the_response(proxy: Proxy, origin: Origin) -> None:
    """One request per client connection: the proxy closes the connection after its response."""
    response = proxy.ask(origin, "/page.html")
    expect(
        response.closed,
        expected=f"the connection closed within {CLOSE_WITHIN:g} s of the response's last byte",
        got="it stayed open",
        wire=response.transcript,
    )


@points(3)
def test_a_second_get_is_served_from_the_cache(proxy: Proxy, origin: Origin) -> None:
    """A later `GET` for the same URL is answered from the cache without contacting the origin,
    with the stored status line, headers and body."""
    proxy.ask(origin, "/page.html")
    again = proxy.ask(origin, "/page.html")
    expect_hits(origin, "/page.html", 1, "the second GET is the cache's", again.transcript)
    expect_relayed(again, sent_for(origin, "/page.html"), "the stored response")


@points(2)
def test_a_cached_page_is_served_after_the_origin_is_gone(proxy: Proxy, origin: Origin) -> None:
    """A cached URL is answered from the cache even when the origin is gone (stopped, port closed)."""
    proxy.ask(origin, "/image.png")
    origin.close()
    again = proxy.ask(origin, "/image.png")
    again.transcript.event("(the origin was stopped before this request: its port is closed)")
    expect_relayed(again, sent_for(origin, "/image.png"), "the stored image")


@points(2)
def test_urls_that_differ_in_their_query_are_cached_apart(proxy: Proxy, origin: Origin) -> None:
    """Different URLs, query strings included, never share a cache entry."""
    bodies = {f"/search?q={k}": f"<p>results for {k}</p>\n".encode() for k in ("one", "two")}
    for target, body in bodies.items():
        origin.serve(target, body)
    for _round in range(2):
        for target, body in bodies.items():
            response = proxy.ask(origin, target)
            expect(
                response.body == body,
                expected=f"for {origin.path(target)}: {body!r}",
                got="body: " + describe_difference(response.body, body, f"the body of {target}"),
                wire=response.transcript,
            )


@points(2)
def test_the_cache_is_kept_in_files_under_the_working_directory(proxy: Proxy, origin: Origin) -> None:
    """A `200` response to a `GET` is stored on disk, in files under the proxy's working
    directory (`./cache`, say)."""
    body = random.Random(8888).randbytes(4096)
    origin.serve("/unique.bin", body, content_type="application/octet-stream")
    proxy.ask(origin, "/unique.bin")
    workdir = proxy.program.workdir
    found = _wait_for_file_holding(workdir, body, within=AT_ONCE)
    files = sorted(str(path.relative_to(workdir)) for path in workdir.rglob("*") if path.is_file())
    expect(
        found is not None,
        expected=f"a file under the working directory holding the 4096-byte body of {origin.path('/unique.bin')} (within {AT_ONCE:g} s)",
        got="files there: " + (", ".join(files[:8]) + (" ..." if len(files) > 8 else "") if files else "none"),
    )


def _wait_for_file_holding(directory: Path, body: bytes, within: float) -> Path | None:
    deadline = time.monotonic() + within
    while True:
        for path in directory.rglob("*"):
            try:
                if path.is_file() and body in path.read_bytes():
                    return path
            except OSError:
                continue  # written or removed meanwhile
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


@points(2)
def test_a_client_that_leaves_early_does_not_stop_the_proxy(fresh_proxy: Proxy, origin: Origin) -> None:
    """A client that connects and leaves without a request, or sends half a request and leaves,
    does not stop the proxy."""
    with TcpClient(fresh_proxy.port):
        pass
    with TcpClient(fresh_proxy.port) as half:
        half.send(b"GET http://127.0.0.1")
    fresh_proxy.client.any_answer(origin, "/page.html")  # any answer proves it alive: relaying is other checks' to judge


@points(1)
def test_does_not_use_forbidden_modules(proxy: Proxy, origin: Origin, submission: Submission) -> None:
    """Forbidden modules for `proxy`: `http.server`, `http.client`, `urllib.request`, `requests`,
    `socketserver` (counted once `proxy.py` relays a page)."""
    wanted = ("first, proxy.py relaying /page.html with status 200 (a program that does nothing imports nothing: "
              "this check counts once it works)")
    try:
        response = proxy.ask(origin, "/page.html")
    except CheckFailed as failure:
        raise CheckFailed(expected=wanted, got=failure.got, wire=failure.wire) from None
    expect(response.status == 200, expected=wanted, got=f"status {response.status}", wire=response.transcript)
    path = submission.program("proxy.py")
    expect_no_forbidden_imports([path], ("http.server", "http.client", "urllib.request", "requests", "socketserver"), "proxy")


# --- optional 1: errors -----------------------------------------------------------


def expect_error_then_goes_on(proxy: Proxy, origin: Origin, authority: str, why: str, within: float) -> None:
    proxy.ask(origin, "/page.html")  # learns the request form the proxy reads
    form = proxy.client.form
    response = proxy.client.send_in(form, authority, "/page.html", within=within, first_byte_within=within)  # type: ignore[arg-type]
    response.transcript.event(f"({why})")
    expect_status(response, (502, 404), f"for an origin that {why}")
    after = proxy.client.send_in(form, origin.authority, origin.path("/image.png"))  # type: ignore[arg-type]
    expect_status(after, (200,), "for the next request: the proxy goes on")


@points(2, group=ERRORS)
def test_an_unreachable_origin_gets_502_and_the_proxy_goes_on(proxy: Proxy, origin: Origin) -> None:
    """An origin that cannot be reached gives the client `502 Bad Gateway` (or `404 Not Found`),
    and the proxy goes on."""
    if origin.port == 80:  # a proxy that reaches origins on port 80 only: an address where nothing listens
        expect_error_then_goes_on(proxy, origin, UNREACHABLE, f"refuses connections (nothing listens on {UNREACHABLE}, port 80)", REFUSED_WITHIN)
        return
    with refusing_port() as port:
        expect_error_then_goes_on(proxy, origin, f"{LOOPBACK}:{port}", f"refuses connections (nothing listens on port {port})", REFUSED_WITHIN)


@points(2, group=ERRORS)
def test_an_unresolvable_origin_gets_502_and_the_proxy_goes_on(proxy: Proxy, origin: Origin) -> None:
    """An origin whose name cannot be resolved gives the client `502 Bad Gateway` (or `404 Not
    Found`), and the proxy goes on."""
    expect_error_then_goes_on(proxy, origin, UNRESOLVABLE, f"cannot be resolved ({UNRESOLVABLE}, RFC 6761)", RESOLVE_WITHIN)


@points(2, group=ERRORS)
def test_an_origins_404_is_relayed_and_not_cached(proxy: Proxy, origin: Origin) -> None:
    """An origin's `404` is relayed to the client, and not cached: asked again, the proxy asks the origin again."""
    first = proxy.ask(origin, "/missing.html")
    expect_relayed(first, sent_for(origin, "/missing.html"), "the origin's 404")
    again = proxy.ask(origin, "/missing.html")
    expect_hits(origin, "/missing.html", 2, "a 404 is not cached", again.transcript)
    expect_relayed(again, sent_for(origin, "/missing.html"), "the origin's second 404")


@points(2, group=ERRORS)
def test_a_malformed_request_gets_400_and_the_proxy_goes_on(fresh_proxy: Proxy, origin: Origin) -> None:
    """A malformed request line (not three space-separated parts, such as `BROKEN\\r\\n\\r\\n`)
    gives `400`, and the proxy goes on."""
    response = fresh_proxy.client.send(b"BROKEN\r\n\r\n")
    expect_status(response, (400,), "for the request line `BROKEN`")
    expect_status(fresh_proxy.ask(origin, "/page.html"), (200,), "for the next request: the proxy goes on")


# --- optional 2: POST -------------------------------------------------------------

FORM_DATA = b"name=netlab&comment=caf%C3%A9+%26+cr%C3%A8me&lines=a%0D%0Ab\r\n"


@points(2, group=POST)
def test_post_is_forwarded_with_its_body(proxy: Proxy, origin: Origin) -> None:
    """`POST` is forwarded with its body (`Content-Length`), and the origin's response relayed."""
    origin.echo("/echo")
    response = proxy.ask(origin, "/echo", method="POST", body=FORM_DATA)
    request = origin.requests_for("/echo")[0]
    expect(
        request.method == "POST" and request.body == FORM_DATA,
        expected=f"the origin asked `POST {origin.path('/echo')}` with the {len(FORM_DATA)}-byte body",
        got=f"`{request.method} {request.target}` with body: " + describe_difference(request.body, FORM_DATA, "the form data"),
        wire=origin.transcript,
    )
    expect_relayed(response, sent_for(origin, "/echo"), "the origin's answer to the POST")


@points(1, group=POST)
def test_post_is_never_cached(proxy: Proxy, origin: Origin) -> None:
    """`POST` is never cached: a second POST to the same URL reaches the origin, and its answer the client."""
    origin.echo("/echo")
    proxy.ask(origin, "/echo", method="POST", body=b"first=1")
    second = proxy.ask(origin, "/echo", method="POST", body=b"second=2")
    expect_hits(origin, "/echo", 2, "a POST is never answered from the cache", second.transcript)
    expect_relayed(second, sent_for(origin, "/echo"), "the origin's answer to the second POST")


# --- optional 4: concurrency --------------------------------------------------------


@points(3, group=CONCURRENCY)
def test_a_client_behind_a_stalled_origin_does_not_hold_up_another(fresh_proxy: Proxy, origin: Origin) -> None:
    """A client waiting on an origin that never answers never holds up another client's
    request: the other client is answered at once."""
    fresh_proxy.ask(origin, "/page.html")  # learns the request form the proxy reads
    origin.stall("/stalled.html")
    with TcpClient(fresh_proxy.port) as stuck:
        stuck.send(request_bytes(fresh_proxy.client.form, fresh_proxy.port, origin.authority, origin.path("/stalled.html")))  # type: ignore[arg-type]
        _wait_for(lambda: origin.hits("/stalled.html") > 0, within=2.0, what=f"the proxy to ask the origin for {origin.path('/stalled.html')}",
                  wire=stuck.transcript)
        origin.serve("/meanwhile.html", b"<p>answered at once</p>\n")
        response = fresh_proxy.ask(origin, "/meanwhile.html", within=AT_ONCE)
        response.transcript.event("(meanwhile another client waits on /stalled.html, which the origin never answers)")
        expect_status(response, (200,), f"for /meanwhile.html within {AT_ONCE:g} s")


def _wait_for(condition: Callable[[], bool], within: float, what: str, wire: Transcript) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise CheckFailed(expected=f"{what} within {within:g} s", got="it did not", wire=wire)
        time.sleep(0.01)


# --- optional 5: CONNECT ---------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@points(3, group=CONNECT)
def test_connect_tunnels_https_to_the_origin(fresh_proxy: Proxy, certificates: Certificates) -> None:
    """`CONNECT HOST:PORT` answers `200 Connection established` and relays bytes both ways until
    either side closes (HTTPS through the proxy)."""
    origin = Origin(tls=certificates.trusted)
    try:
        origin.serve("/secure.html", PAGE)
        trust = certificates.client_context()
        tunnel = through_tunnel(fresh_proxy.port, origin.port, trust, "/secure.html")
    finally:
        origin.close()
    expect(
        tunnel.status_line.split(" ")[1:2] == ["200"],
        expected="`HTTP/1.x 200 Connection established`, then the empty line",
        got=f"{tunnel.status_line!r}" if tunnel.status_line else "no answer",
        wire=tunnel.transcript,
    )
    expect(
        tunnel.response is not None and tunnel.response.body == PAGE,
        expected="the page, over TLS through the tunnel",
        got="body: " + describe_difference(tunnel.response.body, PAGE, "the page") if tunnel.response else "no response through the tunnel",
        wire=tunnel.transcript,
    )


# --- optional 3: cache validation --------------------------------------------------
# Last in the module: its scenarios are primed when the module starts, so the wait past
# max-age runs alongside every check above.

STALE_AFTER = 2.2  # seconds: past max-age=1 (and an Expires 1 s ahead) even for whole-second clocks
LONG_AGO = "Mon, 02 Feb 2026 10:00:00 GMT"
LATER = "Tue, 03 Mar 2026 10:00:00 GMT"


VALIDATED: dict[str, tuple[tuple[str, str], ...]] = {
    "last-modified": (("Last-Modified", LONG_AGO), ("Cache-Control", "max-age=1")),
    "etag": (("ETag", '"v1"'), ("Cache-Control", "max-age=1")),
    "changed": (("ETag", '"v1"'), ("Last-Modified", LONG_AGO), ("Cache-Control", "max-age=1")),
    "expires": (("ETag", '"e1"'), ("Last-Modified", LONG_AGO)),  # plus an Expires 1 s ahead, set when primed
}
CHANGED = b"<p>version 2</p>\n"
CHANGED_HEADERS = (("ETag", '"v2"'), ("Last-Modified", LATER), ("Cache-Control", "max-age=600"))


@dataclass
class Revalidation:
    """One URL on its own proxy and origin: asked once, asked again once stale (the origin changed
    in between, or not), and for "changed" a third time."""

    origin: Origin
    target: str
    proxy: Proxy | None
    responses: list[HttpResponse | CheckFailed]
    network: Namespace | None  # its own, where proxy and origin hard-code their ports

    @classmethod
    def prime(cls, launcher: Launcher, name: str, headers: tuple[tuple[str, str], ...]) -> Revalidation:
        if name == "expires":
            headers += (("Expires", email.utils.formatdate(time.time() + 1, usegmt=True)),)
        network = launcher.namespace()
        with netns.inside(network):
            run = cls(make_origin(launcher), f"/{name}.html", None, [], network)
            run.origin.serve(run.target, f"<p>version 1 of {name}</p>\n".encode(), headers=headers)
            try:
                run.proxy = start_proxy(launcher)
            except CheckFailed as failure:
                run.responses.append(failure)
        run.ask()
        return run

    def ask(self) -> None:
        if self.failed:
            return
        with netns.inside(self.network):
            try:
                self.responses.append(self.proxy.ask(self.origin, self.target))  # type: ignore[union-attr]
            except CheckFailed as failure:
                self.responses.append(failure)

    @property
    def failed(self) -> bool:
        return any(isinstance(outcome, CheckFailed) for outcome in self.responses)

    def response(self, index: int) -> HttpResponse:
        """The answer to the request ``index`` (0, 1, 2), or the failure that ended the run before it."""
        for outcome in self.responses[: index + 1]:
            if isinstance(outcome, CheckFailed):
                raise outcome
        return self.responses[index]  # type: ignore[return-value]

    def conditional(self) -> Request:
        """The origin's view of the request made once the entry was stale."""
        self.response(1)
        requests = self.origin.requests_for(self.target)
        expect(len(requests) >= 2, expected="the proxy to ask the origin again once the entry was stale",
               got="it served the stale entry without asking", wire=self.origin.transcript)
        return requests[1]


class Revalidations:
    """The validation scenarios, primed when the module starts so that the wait past max-age runs
    alongside the other checks; asked again by the first check that reads them."""

    def __init__(self, launcher: Launcher) -> None:
        self.runs = {name: Revalidation.prime(launcher, name, headers) for name, headers in VALIDATED.items()}
        self.stale_at = time.monotonic() + STALE_AFTER
        self._asked_again = False

    def asked_again(self) -> dict[str, Revalidation]:
        if not self._asked_again:
            self._asked_again = True
            if not all(run.failed for run in self.runs.values()):
                time.sleep(max(0.0, self.stale_at - time.monotonic()))  # what is awaited is time itself
            self.runs["changed"].origin.serve("/changed.html", CHANGED, headers=CHANGED_HEADERS)
            for run in self.runs.values():
                run.ask()
            self.runs["changed"].ask()
        return self.runs

    def close(self) -> None:
        for run in self.runs.values():
            with netns.inside(run.network):
                run.origin.close()
            if run.network is not None:
                run.network.close()


@pytest.fixture(scope="module", autouse=True)
def primed_revalidations(module_launcher: Launcher) -> Iterator[Revalidations]:
    revalidations = Revalidations(module_launcher)
    yield revalidations
    revalidations.close()


@pytest.fixture
def revalidations(primed_revalidations: Revalidations) -> dict[str, Revalidation]:
    return primed_revalidations.asked_again()


def expect_condition(run: Revalidation, conditions: dict[str, str]) -> None:
    """The request made once stale carries one of ``conditions`` (header: value from the stored response)."""
    request = run.conditional()
    sent = {header: request.header(header) for header in conditions}
    wanted = " or ".join(f"`{header}: {value}`" for header, value in conditions.items())
    expect(
        any(value is not None and conditions[header] in value for header, value in sent.items()),
        expected=f"{wanted} (from the stored response) in the request for the stale {run.target}",
        got="; ".join(f"`{header}: {value}`" for header, value in sent.items() if value is not None)
        or f"no {' or '.join(conditions)} header: `{request.method} {request.target}` with "
        + ", ".join(name for name, _ in request.headers),
        wire=run.origin.transcript,
    )


@points(2, group=VALIDATION)
def test_a_stale_entry_is_revalidated_with_if_modified_since(revalidations: dict[str, Revalidation]) -> None:
    """An entry past its `Cache-Control: max-age` is revalidated with `If-Modified-Since`
    (from its `Last-Modified`)."""
    expect_condition(revalidations["last-modified"], {"If-Modified-Since": LONG_AGO})


@points(2, group=VALIDATION)
def test_a_stale_entry_is_revalidated_with_if_none_match(revalidations: dict[str, Revalidation]) -> None:
    """An entry past its `Cache-Control: max-age` is revalidated with `If-None-Match` (from its `ETag`)."""
    expect_condition(revalidations["etag"], {"If-None-Match": '"v1"'})


@points(1, group=VALIDATION)
def test_an_entry_past_its_expires_is_revalidated(revalidations: dict[str, Revalidation]) -> None:
    """An entry past its `Expires` is revalidated (`If-Modified-Since` from its `Last-Modified`,
    or `If-None-Match` from its `ETag`)."""
    expect_condition(revalidations["expires"], {"If-Modified-Since": LONG_AGO, "If-None-Match": '"e1"'})


@points(2, group=VALIDATION)
def test_on_304_the_cached_body_is_served_with_200(revalidations: dict[str, Revalidation]) -> None:
    """On `304 Not Modified` the cached body is served, with status `200`."""
    answered = [run for run in revalidations.values() if any(b" 304 " in e.response[:16] for e in run.origin.log)]
    if not answered:
        for run in revalidations.values():
            run.response(1)  # a run that ended before it was stale says why (no proxy ran: not found, the template's stub)
    expect(
        bool(answered),
        expected="the origin to answer a conditional request with 304 (for /last-modified.html or /etag.html)",
        got="the proxy made no conditional request the origin could answer with 304",
        wire=revalidations["last-modified"].origin.transcript,
    )
    for run in answered:
        response = run.response(1)
        first = run.origin.log[0].response
        expect(
            response.status == 200 and response.body == first[HEAD_END.search(first).end() :],  # type: ignore[union-attr]
            expected=f"status 200 and the cached body for {run.target} after the origin's 304",
            got=f"status {response.status}, body: " + describe_difference(response.body, first[HEAD_END.search(first).end() :], "the cached body"),  # type: ignore[union-attr]
            wire=response.transcript,
        )


@points(2, group=VALIDATION)
def test_on_a_changed_200_the_new_body_is_served_and_stored(revalidations: dict[str, Revalidation]) -> None:
    """When the origin answers the revalidation with a new `200`, the new body is served and
    replaces the entry (asked again, it comes from the cache)."""
    run = revalidations["changed"]
    for index, what in ((1, "the answer once stale"), (2, "the answer after that, from the cache")):
        response = run.response(index)
        expect(
            response.status == 200 and response.body == CHANGED,
            expected=f"{what}: status 200 and the new body {CHANGED!r}",
            got=f"status {response.status}, body: " + describe_difference(response.body, CHANGED, "the new body"),
            wire=response.transcript,
        )
    expect_hits(run.origin, run.target, 2, "the new body is stored: the third GET is the cache's", run.response(2).transcript)


@points(1, group=VALIDATION)
def test_no_store_is_never_cached(proxy: Proxy, origin: Origin) -> None:
    """A response with `Cache-Control: no-store` is never cached."""
    origin.serve("/private.html", b"<p>private</p>\n", headers=(("Cache-Control", "no-store"),))
    proxy.ask(origin, "/private.html")
    again = proxy.ask(origin, "/private.html")
    expect_hits(origin, "/private.html", 2, "no-store: every GET goes to the origin", again.transcript)
