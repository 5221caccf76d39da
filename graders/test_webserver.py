"""Lab `webserver`: Web Server, with its optional exercises (LABS.md)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

import pytest

from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.harness.runs import Shared
from graders.harness.source_check import expect_no_forbidden_imports
from graders.harness.submission import Submission
from graders.network.ports import LOOPBACK, refusing_port
from graders.peers import http_exchange
from graders.peers.clients import TcpClient
from graders.peers.documents import BIG_FILE, CLIENT_DOCUMENTS, WWW, DocumentRoot, build_template, lay_out
from graders.peers.fake_origin import ANY_PATH, Exchange, Origin, Segments
from graders.peers.http_exchange import HttpResponse
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import CheckFailed, expect, expect_crlf_lines
from graders.vocabulary.wire import describe_difference

pytestmark = lab("webserver")

MULTITHREADED = "optional 1: multithreaded"
HTTP_CLIENT = "optional 2: http_client.py"
ANSWER_WITHIN = 1.0  # "at once"
BIG_WITHIN = 20.0  # a 10 MB body over loopback, with room for a busy machine
CONTENT_TYPES = {
    "index.html": "text/html",
    "notes.txt": "text/plain",
    "image.png": "image/png",
    "photo.jpg": "image/jpeg",
    "anim.gif": "image/gif",
}


@dataclass
class WebServer:
    """A student's webserver.py, running on its own port in a fresh document root."""

    program: Program
    port: int
    root: DocumentRoot

    def get(self, target: str, within: float = 2.0) -> HttpResponse:
        return http_exchange.get(self.port, target, within)

    def send(self, request: bytes, within: float = 2.0) -> HttpResponse:
        return http_exchange.exchange(self.port, request, within)


@pytest.fixture(scope="session")
def www_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("documents"))


def start_webserver(launcher: Launcher, www_template: Path) -> WebServer:
    root = lay_out(www_template, launcher.fresh_dir("webserver.py"))
    program, port = launcher.serve("webserver.py", "tcp", workdir=root.path)
    return WebServer(program, port, root)


@pytest.fixture(scope="module")
def shared_webserver(module_launcher: Launcher, www_template: Path) -> Iterator[Shared[WebServer]]:
    shared = Shared(partial(start_webserver, module_launcher, www_template), lambda server: server.program, module_launcher.namespace)
    yield shared
    shared.discard()


@pytest.fixture
def webserver(request: pytest.FixtureRequest, launcher: Launcher, shared_webserver: Shared[WebServer]) -> Iterator[WebServer]:
    """The student's server: the one the module's last check left, unless that check failed or the
    server died (then a new one: a crash or a broken rule costs one check only); where it
    hard-codes its port, the check runs in the server's own network."""
    yield from shared_webserver.lend(request.node, launcher.servers)


@pytest.fixture
def fresh_webserver(launcher: Launcher, www_template: Path) -> WebServer:
    """A server of the check's own, for a check that tries to break it (idle or early-leaving
    clients, a malformed request, a crowd): whatever it does to the server stays with it."""
    return start_webserver(launcher, www_template)


def expect_status(response: HttpResponse, code: int) -> None:
    expect(
        response.status == code and response.http_version in ("HTTP/1.0", "HTTP/1.1"),
        expected=f"status {code} (HTTP/1.0 or HTTP/1.1)",
        got=f"status {response.status} ({response.http_version})",
        wire=response.transcript,
    )


def expect_a_file_served_first(webserver: WebServer, why: str) -> None:
    """A check that a server doing nothing would pass counts once the server serves a file."""
    wanted = f"first, webserver.py serving /index.html with status 200 ({why})"
    try:
        response = webserver.get("/index.html")
    except CheckFailed as failure:
        raise CheckFailed(expected=wanted, got=failure.got, wire=failure.wire) from None
    expect(response.status == 200, expected=wanted, got=f"status {response.status}", wire=response.transcript)


def expect_body(response: HttpResponse, wanted: bytes, name: str) -> None:
    expect(
        response.body == wanted,
        expected=f"the {len(wanted)} bytes of {name}, then the close",
        got="body: " + describe_difference(response.body, wanted, name),
        wire=response.transcript,
    )


# --- core ---------------------------------------------------------------------


@points(3)
def test_serves_an_html_file(webserver: WebServer) -> None:
    """`GET /NAME HTTP/1.x` for a regular file: `HTTP/1.1 200 OK`, then the file's exact bytes."""
    response = webserver.get("/index.html")
    expect_status(response, 200)
    expect_body(response, webserver.root.read("index.html"), "index.html")


@points(2)
def test_serves_a_png_image_byte_for_byte(webserver: WebServer) -> None:
    """A binary file (an image) is sent as its exact bytes, with status 200."""
    response = webserver.get("/image.png")
    expect_status(response, 200)
    expect_body(response, webserver.root.read("image.png"), "image.png")


@points(2)
def test_serves_a_10_mb_file_whole(webserver: WebServer) -> None:
    """Files of 10 MB and more arrive whole, byte for byte, with status 200."""
    response = webserver.get(f"/{BIG_FILE}", within=BIG_WITHIN)
    expect_status(response, 200)
    expect_body(response, webserver.root.read(BIG_FILE), BIG_FILE)


@points(2)
def test_content_length_is_exact(webserver: WebServer) -> None:
    """The 200 response has a `Content-Length` header equal to the file's size."""
    for name in ("index.html", "notes.txt", "image.png"):  # notes.txt: bytes, not characters
        response = webserver.get(f"/{name}")
        size = len(webserver.root.read(name))
        value = response.header("Content-Length")
        expect(
            value is not None and value.strip() == str(size),
            expected=f"Content-Length: {size} for {name}",
            got="no Content-Length header" if value is None else f"Content-Length: {value}",
            wire=response.transcript,
        )


@points(2)
def test_content_type_matches_the_extension(webserver: WebServer) -> None:
    """`Content-Type` by extension, media type only: .html text/html, .txt text/plain,
    .png image/png, .jpg image/jpeg, .gif image/gif."""
    wrong: dict[str, HttpResponse] = {}
    for name, media_type in CONTENT_TYPES.items():
        response = webserver.get(f"/{name}")
        if response.media_type() != media_type:
            wrong[name] = response
    expect(
        not wrong,
        expected=", ".join(f"{name} {media}" for name, media in CONTENT_TYPES.items()),
        got="; ".join(f"{name}: {r.header('Content-Type') or 'no Content-Type'}" for name, r in wrong.items()),
        wire=next(iter(wrong.values())).transcript if wrong else None,
    )


@points(2)
def test_missing_file_gets_404_with_html(webserver: WebServer) -> None:
    """A name that does not exist: `HTTP/1.1 404 Not Found` with a short HTML body."""
    response = webserver.get("/no-such-file.html")
    expect_status(response, 404)
    expect(
        re.search(rb"<\s*(html|body|h1|h2|p|title|!doctype)\b", response.body, re.IGNORECASE) is not None,
        expected="a short HTML body after the 404 status line and headers",
        got=f"a body of {len(response.body)} bytes with no HTML tag: {response.body[:60]!r}",
        wire=response.transcript,
    )


@points(3)
def test_paths_that_leave_the_root_never_get_the_file(webserver: WebServer) -> None:
    """A path that leaves the working directory (`/../x`, `/%2e%2e/x`, `/sub/../../x`,
    `//etc/hostname`, `/%2Fetc%2Fhostname`): 403 or 404, never the file."""
    expect_a_file_served_first(webserver, "so its 403s and 404s refuse files it would otherwise serve")
    secret = webserver.root.secret
    absolute = secret.as_posix().lstrip("/")
    targets = [
        f"/../{secret.name}",
        f"/%2e%2e/{secret.name}",
        f"/sub/../../{secret.name}",
        f"//{absolute}",
        f"/%2F{quote(absolute, safe='')}",
    ]
    answered = []  # (target, what it got, the wire) for each target not refused
    for target in targets:
        response = webserver.get(target)
        leaked = secret.read_bytes() in response.body
        if response.status not in (403, 404) or leaked:
            answered.append((target, ("the file itself, " if leaked else "") + f"status {response.status}", response.transcript))
    expect(
        not answered,
        expected=f"403 or 404 for each of the {len(targets)} paths (the file is outside the working directory)",
        got=f"{len(answered)} of {len(targets)} not refused:" + "".join(f"\n  GET {target}: {what}" for target, what, _ in answered),
        wire=answered[0][2] if answered else response.transcript,  # the first not refused; else the last asked
    )


@points(2)
def test_malformed_request_line_gets_400_and_the_server_goes_on(fresh_webserver: WebServer) -> None:
    """A malformed request line (such as `BROKEN\\r\\n\\r\\n`): `400 Bad Request`; the server goes on."""
    response = fresh_webserver.send(b"BROKEN\r\n\r\n")
    expect_status(response, 400)
    expect_status(fresh_webserver.get("/index.html"), 200)


@points(2)
def test_a_client_that_leaves_early_does_not_stop_the_server(fresh_webserver: WebServer) -> None:
    """A client that connects and leaves without a request, or sends half a request and
    leaves, does not stop the server."""
    with TcpClient(fresh_webserver.port):
        pass
    with TcpClient(fresh_webserver.port) as half:
        half.send(b"GET /index.ht")
    response = fresh_webserver.get("/index.html")
    expect_status(response, 200)


@points(1)
def test_status_and_header_lines_end_in_crlf(webserver: WebServer) -> None:
    """Every protocol line ends in CRLF: the status line, each header line and the empty line."""
    response = webserver.get("/index.html")
    expect_crlf_lines(response.head, "the status line and headers, and the empty line", response.transcript)


@points(2)
def test_closes_the_connection_after_the_response(webserver: WebServer) -> None:
    """One request per connection: the server closes the connection after the response."""
    response = webserver.get("/index.html")
    expect(
        response.closed,
        expected=f"the connection closed within {http_exchange.CLOSE_WITHIN:g} s of the last body byte",
        got="it stayed open",
        wire=response.transcript,
    )


@points(1)
def test_does_not_use_http_server_or_socketserver(webserver: WebServer, submission: Submission) -> None:
    """Forbidden modules for `webserver`: `http.server`, `socketserver` (counted once
    `webserver.py` serves a file)."""
    expect_a_file_served_first(webserver, "a program that does nothing imports nothing: this check counts once it works")
    expect_no_forbidden_imports([submission.program("webserver.py")], ("http.server", "socketserver"), "webserver")


# --- optional exercise 1: multithreaded ------------------------------------------


@points(3, group=MULTITHREADED)
def test_answers_at_once_while_another_client_idles(fresh_webserver: WebServer) -> None:
    """While one client holds a connection without finishing its request, other clients
    are answered at once."""
    with TcpClient(fresh_webserver.port) as idle:
        idle.transcript.event("this client connects and sends nothing")
        response = fresh_webserver.get("/index.html", within=ANSWER_WITHIN)
        expect_status(response, 200)


CROWD = 20
SLOW = 40  # more than a default ThreadPoolExecutor() ever has, min(32, CPUs + 4): the verdict is the same on any machine
CROWD_WITHIN = 5.0
CONNECT_WITHIN = 5.0  # for all 60 connections, before the 5 s of the answers start
SYN_AGAIN_AFTER = 0.02  # a connect not done by then had its SYN dropped by a full backlog: try again at once


@points(3, group=MULTITHREADED)
def test_answers_20_clients_at_the_same_time_within_5_s(fresh_webserver: WebServer) -> None:
    """20 clients at the same time are all answered within 5 seconds, while 40 others that
    connected first hold their connections without a request until the 20 have their answers
    (then they send it, and are answered within those 5 seconds too)."""
    slow_names, crowd_names = CLIENT_DOCUMENTS[:SLOW], CLIENT_DOCUMENTS[SLOW : SLOW + CROWD]
    with ExitStack() as connections:
        # The slow ones connect first, so a server that serves clients in turn, or a pool of
        # workers, takes them first.
        connect_by = time.monotonic() + CONNECT_WITHIN
        clients = {name: connections.enter_context(_connect(fresh_webserver.port, connect_by, name))
                   for name in slow_names + crowd_names}
        started = time.monotonic()
        deadline = started + CROWD_WITHIN
        crowd_outcomes = _ask_all([clients[name] for name in crowd_names], crowd_names, deadline)
        slow_outcomes = _ask_all([clients[name] for name in slow_names], slow_names, deadline)
    elapsed = time.monotonic() - started
    bad = [(name, outcome) for name, outcome in {**crowd_outcomes, **slow_outcomes}.items() if outcome != "200"]
    expect(
        not bad,
        expected=f"the {CROWD} clients answered (status 200) within {CROWD_WITHIN:g} s while {SLOW} others, connected "
        f"first, held their connections without a request; then those {SLOW} answered too, within the same {CROWD_WITHIN:g} s",
        got=f"{_answered(crowd_outcomes)} of the {CROWD} answered, then {_answered(slow_outcomes)} of the {SLOW}, "
        f"in {elapsed:.1f} s; " + "; ".join(f"GET /{name}: {outcome}" for name, outcome in bad[:4]) + (" ..." if len(bad) > 4 else ""),
        wire=clients[bad[0][0] if bad else crowd_names[0]].transcript,
    )


def _connect(port: int, deadline: float, name: str) -> TcpClient:
    """A connection, tried again at once when the server's full listen backlog dropped its SYN
    (TCP would wait 1 s to resend it): the check grades threads, not the `listen()` backlog."""
    while True:
        try:
            return TcpClient(port, within=SYN_AGAIN_AFTER)
        except CheckFailed as failure:
            if "timed out" not in failure.got or time.monotonic() > deadline:
                raise CheckFailed(
                    expected=f"the server to accept {SLOW + CROWD} connections within {CONNECT_WITHIN:g} s",
                    got=f"the client for /{name}: {failure.got}",
                    wire=failure.wire,
                ) from None


def _ask_all(clients: list[TcpClient], names: tuple[str, ...], deadline: float) -> dict[str, str]:
    """Each client sends its request at once; then the status each got before the deadline."""
    unsent: dict[str, str] = {}
    for client, name in zip(clients, names):
        try:
            client.send(f"GET /{name} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        except CheckFailed as failure:
            unsent[name] = failure.got.splitlines()[0]
    return {name: unsent.get(name) or _status(client, deadline) for client, name in zip(clients, names)}


def _status(client: TcpClient, deadline: float) -> str:
    """The status a client got before the deadline, or what went wrong."""
    try:
        # The answer's status alone: whether the server then closes is the close check's, not a cost in time here.
        return str(http_exchange.read_response(client, max(deadline - time.monotonic(), 0.01), close_within=0).status)
    except CheckFailed as failure:
        return failure.got.splitlines()[0]


def _answered(outcomes: dict[str, str]) -> int:
    return sum(outcome == "200" for outcome in outcomes.values())


# --- optional exercise 2: http_client.py ------------------------------------------

CLIENT_WITHIN = 5.0
SEGMENTS = Segments(pieces=3, gap=0.1)  # the head, then the body in 3 pieces: one read gets the head only
PAGE = b"<html><body><h1>netlab origin</h1><p>caf\xc3\xa9</p></body></html>\n"


@dataclass
class ClientRun:
    """One run of http_client.py against the graders' origin, and what the origin saw."""

    program: Program
    origin: Origin
    filename: str
    server_names: list[str]  # SERVER_HOST as it was given, or as a course's client hard-codes it

    def exchange(self) -> Exchange | None:
        return self.origin.log[0] if self.origin.log else None


def run_http_client(
    launcher: Launcher, filename: str, body: bytes, content_type: str, status: int = 200, segments: Segments | None = SEGMENTS
) -> ClientRun:
    """One run against an origin that sends its response in segments, a pause between two, so
    "reads until the server closes" is graded by every check that reads stdout. It answers any
    path so: a client that asks for the wrong one (`//image.png`) loses the request line's check,
    and its output checks still judge the body they are about, not a text 404."""
    with launcher.network():  # its own, where the client hard-codes its server's port
        origin = Origin(segments=segments, port=launcher.peer_port("http_client.py"))
        try:
            reason = "OK" if status == 200 else "Not Found"
            origin.serve(ANY_PATH, body=body, status=status, reason=reason, content_type=content_type)
            program = launcher.run("http_client.py", "127.0.0.1", str(origin.port), options=(filename,), values={"filename": filename},
                                   within=CLIENT_WITHIN, port=origin.port, peer=origin)
        finally:
            origin.close()
    return ClientRun(program, origin, filename, launcher.server_names("http_client.py") or [LOOPBACK])


@pytest.fixture(scope="module")
def page_run(module_launcher: Launcher) -> ClientRun:
    """http_client.py fetching an HTML page, FILENAME without its leading `/`."""
    return run_http_client(module_launcher, "page.html", PAGE, "text/html; charset=utf-8")


@pytest.fixture(scope="module")
def image_run(module_launcher: Launcher) -> ClientRun:
    """http_client.py fetching a PNG image, FILENAME with its leading `/`."""
    return run_http_client(module_launcher, "/image.png", (WWW / "image.png").read_bytes(), "image/png")


def expect_exchange(run: ClientRun, why: str = "") -> Exchange:
    exchange = run.exchange()
    expect(
        exchange is not None,
        expected="a request to the origin" + (f" ({why})" if why else ""),
        got="no whole request head (request line, headers, empty line) reached it; " + run.program.describe_exit(),
        wire=run.origin.transcript,
    )
    return exchange  # type: ignore[return-value]


@points(2, group=HTTP_CLIENT)
def test_http_client_sends_a_get_request_line(page_run: ClientRun, image_run: ClientRun) -> None:
    """http_client.py sends `GET /FILENAME HTTP/1.1` (FILENAME with or without its leading `/`)."""
    for run in (page_run, image_run):
        request = expect_exchange(run).request
        wanted = f"GET /{run.filename.lstrip('/')} HTTP/1.1"
        got = request.raw.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
        expect(
            got == wanted,
            expected=f"the request line {wanted!r} for FILENAME {run.filename!r}",
            got=f"the request line {got!r}",
            wire=run.origin.transcript,
        )


@points(2, group=HTTP_CLIENT)
def test_http_client_sends_host_and_connection_close(page_run: ClientRun) -> None:
    """http_client.py sends `Host: SERVER_HOST:SERVER_PORT` and `Connection: close`."""
    request = expect_exchange(page_run).request
    hosts = [f"{name}:{page_run.origin.port}" for name in page_run.server_names]
    connection = (request.header("Connection") or "").lower()
    expect(
        request.header("Host") in hosts and connection == "close",
        expected=f"Host: {' or '.join(hosts)} and Connection: close",
        got=f"Host: {request.header('Host')} and Connection: {request.header('Connection')}",
        wire=page_run.origin.transcript,
    )


@points(1, group=HTTP_CLIENT)
def test_http_client_request_lines_end_in_crlf(page_run: ClientRun) -> None:
    """Every line of the request (request line, headers, the empty line) ends in CRLF."""
    request = expect_exchange(page_run).request
    expect_crlf_lines(request.raw, "the request line, headers and empty line", page_run.origin.transcript)


def expect_printed_response(run: ClientRun) -> None:
    """Stdout must be what the origin sent on that connection, whatever the client asked for."""
    sent = expect_exchange(run).response
    printed = run.program.stdout.data
    expect(
        printed == sent,
        expected=f"stdout equal to the {len(sent)} bytes the server sent (status line, headers, body)",
        got="stdout: " + describe_difference(printed, sent, "the response") + run.program.stderr_tail(),
        wire=run.origin.transcript,
    )


@points(2, group=HTTP_CLIENT)
def test_http_client_writes_the_response_as_received(page_run: ClientRun) -> None:
    """http_client.py writes the response as received (status line, headers, body) to stdout."""
    expect_printed_response(page_run)


@points(2, group=HTTP_CLIENT)
def test_http_client_writes_a_binary_response_byte_for_byte(image_run: ClientRun) -> None:
    """A binary body (an image) reaches stdout byte for byte."""
    expect_printed_response(image_run)


@points(1, group=HTTP_CLIENT)
def test_http_client_exits_0_when_a_response_arrived(page_run: ClientRun, module_launcher: Launcher) -> None:
    """http_client.py exits 0 when a response arrived, whatever its status (a 404 too)."""
    not_found = run_http_client(  # only its exit status is read: in one piece, without the pauses
        module_launcher, "missing.html", b"<h1>404 Not Found</h1>", "text/html", status=404, segments=None
    )
    for run in (page_run, not_found):
        expect_exchange(run)  # no request, no response: nothing to exit 0 after
        expect(
            run.program.exit_status == 0,
            expected=f"exit status 0 after a {'200' if run is page_run else '404'} response",
            got=run.program.describe_exit(),
            wire=run.origin.transcript,
        )


@points(2, group=HTTP_CLIENT)
def test_http_client_fails_with_a_message_when_it_cannot_connect(page_run: ClientRun, launcher: Launcher) -> None:
    """Non-zero exit with a message on stderr when http_client.py could not connect (counted
    once it sends a request to a server that listens)."""
    expect_exchange(page_run, "first, where a server listens: a program that only exits 1 fails to connect anywhere")
    fixed = launcher.peer_port("http_client.py")  # in a network of this check's own: nothing listens there either
    with ExitStack() as held:
        port = fixed if isinstance(fixed, int) and fixed else fixed[0] if fixed else held.enter_context(refusing_port())
        program = launcher.run("http_client.py", "127.0.0.1", str(port), options=("index.html",), values={"filename": "index.html"},
                               within=CLIENT_WITHIN, port=port)
    status = program.exit_status
    expect(
        status not in (None, 0) and program.stderr.text().strip() != "",
        expected=f"a non-zero exit and a message on stderr (nothing listens on port {port})",
        got=program.describe_exit() if status is None else f"exit status {status} and "
        + (f"stderr {program.stderr.text().strip()[:200]!r}" if program.stderr.text().strip() else "nothing on stderr"),
    )
