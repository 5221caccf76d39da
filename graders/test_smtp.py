"""Lab `smtp`: Mail client, with STARTTLS and AUTH, and MIME attachments (LABS.md)."""

from __future__ import annotations

import email
import email.policy
import random
import re
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from graders.harness.launcher import Launcher
from graders.harness.runs import PeerRun
from graders.harness.source_check import expect_no_forbidden_imports
from graders.harness.submission import Submission
from graders.peers.certificates import Certificates, make_certificates
from graders.peers.documents import WWW
from graders.peers.fake_smtp import HANDSHAKE_DONE, MailMode, MailServer
from graders.peers.mime_parts import attached, file_name
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import expect, expect_crlf_lines
from graders.vocabulary.wire import Transcript, describe_difference

pytestmark = lab("smtp")

TLS = "optional 1: STARTTLS and AUTH"
MIME = "optional 2: MIME attachments"
CLIENT_WITHIN = 20.0  # seconds for one session, 5 MB attachments included
SENDER, RECIPIENT, SUBJECT = "alice@netlab.test", "bob@netlab.test", "Lab 3: a mail client"
BODY = "Hello Bob,\n.this line starts with a dot\n..and this one with two\nBye, Alice."
USER, PASSWORD = "student", "s3cret"
BIG = 5 * 1024 * 1024 + 3


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory, module_launcher: Launcher) -> Certificates:
    """A CA made for this grading; its server certificates also name the server a course's client
    hard-codes (`mail.example.com`), which resolves to the graders' server."""
    return make_certificates(tmp_path_factory.mktemp("tls"), module_launcher.server_names("smtp_client.py"))


@pytest.fixture(scope="module")
def attachments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The files to attach: an image, an image whose extension is upper case, a binary, 5 MB."""
    folder = tmp_path_factory.mktemp("attachments")
    files = {
        "image.png": (WWW / "image.png").read_bytes(),
        "PHOTO.JPG": (WWW / "photo.jpg").read_bytes(),
        "data.bin": bytes(range(256)) * 4,
        "big.bin": random.Random(25).randbytes(BIG),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


def where(port: int) -> list[str]:
    return ["--server", "127.0.0.1", "--port", str(port)]


MESSAGE = ["--sender", SENDER, "--recipient", RECIPIENT, "--subject", SUBJECT, "--body", BODY]
VALUES = {"sender": SENDER, "recipient": RECIPIENT, "subject": SUBJECT, "body": BODY, "username": USER, "password": PASSWORD}


TLS_ARGS = ["--starttls", "--username", USER, "--password", PASSWORD]


class MailRun(PeerRun[MailServer]):
    """One session of smtp_client.py with the graders' server, and what the server saw."""

    @property
    def session(self) -> Transcript:
        return self.server.records.session

    def commands(self) -> list[str]:
        """The client's command lines, as the server read them (the message itself left out)."""
        return command_lines(self.session.sent_by("C"), self._data_accepted())

    def commands_in_tls(self) -> list[str]:
        """The command lines it sent inside TLS, after the server's side of the handshake completed."""
        turns = self.session.turns
        done = next((i for i, turn in enumerate(turns) if turn.note == HANDSHAKE_DONE), len(turns))
        return command_lines(self.session.sent_by("C", since=done), self._data_accepted())

    def _data_accepted(self) -> bool:
        return b"354" in self.session.sent_by("S")

    def sent_after_starttls(self) -> bytes | None:
        """The client's bytes on the wire after the server's `220 Ready to start TLS` (TLS records,
        or clear text); None without that 220."""
        turns = self.server.records.wire.turns
        ready = next((i for i, t in enumerate(turns) if t.who == "S" and t.data is not None and t.data.startswith(b"220 Ready to start TLS")), None)
        return None if ready is None else self.server.records.wire.sent_by("C", since=ready + 1)

    def handshake_completed(self) -> bool:
        """The server's side of the TLS handshake finished: the client accepted the certificate."""
        return any(turn.note == HANDSHAKE_DONE for turn in self.session.turns)

    def data_section(self) -> bytes:
        """The bytes it sent after its accepted DATA, as they were on the wire (not unstuffed, line
        ends as sent), up to where the server's reading of the message ended: the first CRLF.CRLF."""
        sent = self.session.sent_by("C")
        data = DATA_COMMAND.search(sent)
        if data is None or not self._data_accepted():
            return b""
        rest = sent[data.end() :]
        end = -2 if rest.startswith(b".\r\n") else rest.find(b"\r\n.\r\n")
        return rest if end == -1 else rest[: end + 2]

    def said(self, verb: str) -> list[str]:
        return [line for line in self.commands() if line.upper().startswith(verb)]

    def replies(self) -> list[str]:
        """The server's reply lines, in order."""
        return self.session.sent_by("S").decode("utf-8", "replace").splitlines()

    def message(self) -> EmailMessage | None:
        mails = self.server.records.mails
        return email.message_from_bytes(mails[0].content, policy=email.policy.default) if mails else None  # type: ignore[return-value]

    def message_as_sent(self) -> EmailMessage | None:
        """The message as the client wrote it: its own lines (ended by CRLF or by a bare LF, as it
        ended them) unstuffed, one leading dot off each, where the server's parser splits at CRLF only."""
        if not self.server.records.mails:
            return None
        lines = self.data_section().split(b"\n")
        unstuffed = b"\n".join(line[1:] if line.startswith(b".") else line for line in lines)
        return email.message_from_bytes(unstuffed, policy=email.policy.default)  # type: ignore[return-value]


DATA_COMMAND = re.compile(rb"(?im)^DATA *\r?\n")


def command_lines(sent: bytes, data_accepted: bool) -> list[str]:
    """The command lines in what a client sent, the message after an accepted DATA left out."""
    lines, in_data = [], False
    for line in sent.split(b"\n"):
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        if in_data:
            in_data = text != "."
        elif text:
            lines.append(text)
            in_data = text.upper() == "DATA" and data_accepted
    return lines


@pytest.fixture(scope="module")
def mail_runs(module_launcher: Launcher, certificates: Certificates, attachments: dict[str, Path]) -> Iterator[dict[str, MailRun]]:
    """Every session, started together: each check waits for the one it reads."""
    trusted = certificates.trusted
    plan: dict[str, tuple[MailMode, list[str]]] = {
        "plain": (MailMode(tls=trusted), []),
        "split": (MailMode(tls=trusted, split_replies=True), []),
        "rejected rcpt": (MailMode(tls=trusted, reject_rcpt=True), []),
        "tls": (MailMode(tls=trusted, require_starttls=True, credentials=(USER, PASSWORD)), TLS_ARGS),
        "untrusted": (MailMode(tls=certificates.untrusted, require_starttls=True), TLS_ARGS),
        "wrong name": (MailMode(tls=certificates.wrong_name, require_starttls=True), TLS_ARGS),
        "rejected auth": (MailMode(tls=trusted, require_starttls=True, reject_auth=True), TLS_ARGS),
        "mime": (MailMode(tls=trusted), [a for name in ("image.png", "PHOTO.JPG", "data.bin") for a in ("--attach", str(attachments[name]))]),
        "big": (MailMode(tls=trusted), ["--attach", str(attachments["big.bin"])]),
        "big tls": (MailMode(tls=trusted, require_starttls=True), TLS_ARGS + ["--attach", str(attachments["big.bin"])]),
    }
    runs: dict[str, MailRun] = {}
    try:
        for name, (mode, extra) in plan.items():
            with module_launcher.network():  # each its own, where clients hard-code the server's port
                server = MailServer(mode, port=module_launcher.peer_port("smtp_client.py"))
                program = module_launcher.start("smtp_client.py", *where(server.port), options=(*MESSAGE, *extra), values=VALUES,
                                                env=certificates.env, port=server.port, peer=server)
            runs[name] = MailRun(program, server, CLIENT_WITHIN)
        yield runs
    finally:
        for run in runs.values():
            run.close()


def session(mail_runs: dict[str, MailRun], name: str) -> MailRun:
    mail_runs[name].finish()
    return mail_runs[name]


@pytest.fixture
def plain(mail_runs: dict[str, MailRun]) -> MailRun:
    return session(mail_runs, "plain")


# --- core ---------------------------------------------------------------------------


@points(1)
def test_reads_the_greeting_before_the_first_command(plain: MailRun) -> None:
    """It reads the `220` greeting before it says anything (here the greeting comes 0.2 s late)."""
    turns = [turn for turn in plain.server.records.wire.turns if turn.data is not None]
    expect(
        bool(turns) and turns[0].who == "S",
        expected="the server's 220 greeting first, then the client's EHLO",
        got="the client spoke first" if turns and turns[0].who == "C" else f"nothing on the wire; {plain.program.describe_exit()}",
        wire=plain.server.records.wire,
    )


@points(1)
def test_says_ehlo_or_helo_first(plain: MailRun) -> None:
    """The first command is `EHLO` (or `HELO`) with a name."""
    commands = plain.commands()
    expect(
        bool(commands) and re.match(r"(EHLO|HELO) \S+", commands[0], re.IGNORECASE) is not None,
        expected="EHLO <name> (or HELO <name>) as the first command",
        got=f"{commands[0]!r} first" if commands else f"no command; {plain.program.describe_exit()}",
        wire=plain.session,
    )


@points(2)
def test_mail_from_and_rcpt_to_name_the_given_addresses(plain: MailRun) -> None:
    """`MAIL FROM:<sender>`, then `RCPT TO:<recipient>`, with the addresses given."""
    mail_from, rcpt_to = plain.said("MAIL FROM"), plain.said("RCPT TO")
    expect(
        [c.replace(" ", "").lower() for c in mail_from] == [f"mailfrom:<{SENDER}>"]
        and [c.replace(" ", "").lower() for c in rcpt_to] == [f"rcptto:<{RECIPIENT}>"],
        expected=f"MAIL FROM:<{SENDER}> and RCPT TO:<{RECIPIENT}>",
        got=f"{mail_from or 'no MAIL FROM'} and {rcpt_to or 'no RCPT TO'}",
        wire=plain.session,
    )


@points(2)
def test_sends_the_message_after_data(plain: MailRun) -> None:
    """`DATA`, then the message, which the server accepts (`250`)."""
    expect(
        bool(plain.said("DATA")) and bool(plain.server.records.mails),
        expected="DATA, 354, the message, and the server's 250 for it",
        got="no DATA command" if not plain.said("DATA") else "no message reached the end of DATA (`CRLF.CRLF`)",
        wire=plain.session,
    )


@points(2)
def test_message_has_from_to_and_subject_headers(plain: MailRun) -> None:
    """The message: `From`, `To`, `Subject` headers, an empty line, then the body."""
    message = plain.message()
    got = {name: str(message[name]) if message is not None and message[name] is not None else None for name in ("From", "To", "Subject")}
    content = plain.server.records.mails[0].content if plain.server.records.mails else b""
    head, blank, _ = content.replace(b"\r\n", b"\n").partition(b"\n\n")
    problems = []
    if message is None:
        problems.append("no message")
    elif not (SENDER in (got["From"] or "") and RECIPIENT in (got["To"] or "") and got["Subject"] == SUBJECT):
        problems.append(", ".join(f"{name}: {value}" for name, value in got.items()))
    elif not blank or re.search(rb"(?im)^subject:", head) is None:  # a header's name: any case
        problems.append("no empty line between the headers and the body")
    expect(
        not problems,
        expected=f"From: {SENDER}, To: {RECIPIENT}, Subject: {SUBJECT}, then an empty line",
        got="; ".join(problems),
        wire=plain.session,
    )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content() if part is not None else ""  # type: ignore[union-attr]


DOTTED = [line for line in BODY.split("\n") if line.startswith(".")]


def is_dotted(line: str) -> bool:
    """A line written with leading dots, however many of them arrived: the dot-stuffing check's."""
    return line.lstrip(".") in {dotted.lstrip(".") for dotted in DOTTED}


def body_lines(message: EmailMessage) -> list[str]:
    return [line.rstrip("\r") for line in text_of(message).rstrip("\n").split("\n")]


@points(2)
def test_body_arrives_as_given(plain: MailRun) -> None:
    """The body as given, with CRLF line ends (the lines that start with a dot are the
    dot-stuffing check's)."""
    message = plain.message()
    wanted = [line for line in BODY.split("\n") if not is_dotted(line)]
    got = [line for line in body_lines(message) if not is_dotted(line)] if message is not None else []
    expect(
        message is not None and got == wanted,
        expected=f"the body lines {wanted}",
        got="no message" if message is None else f"the body lines {got}",
        wire=plain.session,
    )


@points(2)
def test_a_body_line_starting_with_a_dot_is_dot_stuffed(plain: MailRun) -> None:
    """Dot-stuffed: a body line starting with `.` is sent as `..`, so it arrives as written
    (judged on the lines as the client sent and ended them)."""
    message = plain.message_as_sent()
    arrived = [line for line in body_lines(message) if is_dotted(line)] if message is not None else []
    expect(
        message is not None and arrived == DOTTED,
        expected=f"the lines {DOTTED} arriving as written (sent as {['.' + d for d in DOTTED]})",
        got="no message" if message is None else f"the lines {arrived} once unstuffed (sent as {['.' + a for a in arrived]})",
        wire=plain.session,
    )


@points(1)
def test_the_message_ends_with_crlf_dot_crlf(plain: MailRun) -> None:
    """The message is ended by `CRLF.CRLF`."""
    sent = plain.session.sent_by("C")
    expect(
        b"\r\n.\r\n" in sent and bool(plain.server.records.mails),
        expected="the message ended by CRLF . CRLF, and the server's 250",
        got="no CRLF.CRLF from the client" if b"\r\n.\r\n" not in sent else "no message accepted",
        wire=plain.session,
    )


@points(2)
def test_quits_and_exits_0(plain: MailRun) -> None:
    """`QUIT`; exit 0 after the `221` (the server's answer to the QUIT)."""
    replies = plain.replies()
    # aiosmtpd's one 221 is its answer to QUIT: a QUIT read after it hung up (`502 Too many
    # unrecognized commands`), or never read, has none
    answered = any(line.startswith("221") for line in replies)
    last = f"the server's last reply: {replies[-1]!r}" if replies else "no reply from the server"
    quit_said = "QUIT" if plain.said("QUIT") else "no QUIT that the server read"
    ending = "QUIT, the server's 221" if answered else f"{quit_said} and no 221 ({last})"
    expect(
        answered and plain.program.exit_status == 0,
        expected="QUIT, the server's 221 for it, then exit status 0",
        got=f"{ending}, then {plain.program.describe_exit()}",
        wire=plain.session,
    )


@points(1)
def test_every_line_it_sends_ends_in_crlf(plain: MailRun) -> None:
    """Every protocol line ends in CRLF (commands and message lines)."""
    sent = plain.session.sent_by("C")
    expect(bool(sent), expected="the client's commands", got=f"nothing sent; {plain.program.describe_exit()}")
    expect_crlf_lines(sent, "what the client sends", plain.session)


@points(2)
def test_reads_multi_line_replies_however_they_are_split(mail_runs: dict[str, MailRun]) -> None:
    """Multi-line replies (`250-...` lines then `250 ...`) are read to their last line, however
    the server splits them into TCP segments (here: a segment a line, 50 ms apart)."""
    run = session(mail_runs, "split")
    mails = run.server.records.mails
    expect(
        bool(mails) and run.program.exit_status == 0,
        expected="the whole session, message delivered and exit 0, as with unsplit replies",
        got=("message delivered" if mails else "no message delivered") + f"; {run.program.describe_exit()}",
        wire=run.session,
    )


@points(3)
def test_a_rejected_rcpt_means_no_data_quit_and_exit_1(mail_runs: dict[str, MailRun]) -> None:
    """After an unexpected reply code: print the server's reply to stderr, send `QUIT`, exit 1;
    in particular no `DATA` after a rejected `RCPT` (here `550`)."""
    run = session(mail_runs, "rejected rcpt")
    problems = []
    if run.said("DATA"):
        problems.append("it sent DATA after the 550")
    if not run.said("QUIT"):
        problems.append("no QUIT")
    if run.program.exit_status != 1:
        problems.append(run.program.describe_exit())
    if "550" not in run.program.stderr.text():
        problems.append("the 550 reply is not on stderr")
    expect(
        not problems,
        expected="no DATA, the 550 reply on stderr, QUIT, exit status 1",
        got="; ".join(problems),
        wire=run.session,
    )


@points(1)
def test_does_not_use_smtplib(submission: Submission, plain: MailRun) -> None:
    """Forbidden module for `smtp`: `smtplib` (judged on a program that works: one that delivered
    the plain session's message)."""
    expect(
        bool(plain.server.records.mails),
        expected="the plain session's message delivered, then a program free of smtplib",
        got=f"no message delivered; {plain.program.describe_exit()}",
        wire=plain.session,
    )
    expect_no_forbidden_imports([submission.program("smtp_client.py")], ("smtplib",), "smtp")


# --- optional exercise 1: STARTTLS and AUTH ----------------------------------------------

TLS_RECORD = 0x16  # a TLS handshake record's first byte


@points(3, group=TLS)
def test_starttls_encrypts_the_rest_of_the_session(mail_runs: dict[str, MailRun]) -> None:
    """With `--starttls`: after `EHLO`, `STARTTLS`, `220`, then TLS, and `EHLO` again; nothing
    after STARTTLS goes in clear text."""
    run = session(mail_runs, "tls")
    after = run.sent_after_starttls()
    commands = run.commands()
    ehlo_again = [i for i, c in enumerate(commands) if c.upper().startswith(("EHLO", "HELO"))]
    starttls = next((i for i, c in enumerate(commands) if c.upper() == "STARTTLS"), None)
    problems = []
    if starttls is not None and not any(i < starttls for i in ehlo_again):
        problems.append("STARTTLS before any EHLO")
    if after is None:
        problems.append("no STARTTLS accepted")
    elif not after or after[0] != TLS_RECORD:
        problems.append(f"after the 220 the client sent {after[:30]!r}, not a TLS handshake")
    elif re.search(rb"(?i)(EHLO|AUTH|MAIL FROM|RCPT TO|QUIT)", after):
        problems.append("SMTP commands in clear text after STARTTLS")
    elif not run.handshake_completed():  # nothing inside TLS to judge: the handshake is the story
        problems.append(describe_tls_attempt(run, "the trusted certificate"))
    if starttls is not None and run.handshake_completed() and not any(i > starttls for i in ehlo_again):
        problems.append("no EHLO again after STARTTLS")
    expect(
        not problems,
        expected="STARTTLS, a TLS handshake, EHLO again inside TLS, nothing in clear text after",
        got="; ".join(problems) + f" ({run.program.describe_exit()})",
        wire=run.server.records.wire,
    )


@points(2, group=TLS)
def test_auth_with_the_given_credentials(mail_runs: dict[str, MailRun]) -> None:
    """With `--username`, `AUTH LOGIN` (or `AUTH PLAIN`) over TLS, expecting `235`; the mail goes through."""
    run = session(mail_runs, "tls")
    attempts = run.server.records.auth
    expect(
        any(accepted for _, _, accepted in attempts) and bool(run.server.records.mails) and run.program.exit_status == 0,
        expected=f"AUTH as {USER!r} accepted, the message delivered, exit 0",
        got=(f"AUTH attempts {attempts}" if attempts else "no AUTH") + f"; {len(run.server.records.mails)} message(s); "
        + run.program.describe_exit(),
        wire=run.session,
    )


ALERT = 0x15  # a TLS alert record's first byte


def tls_records(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The TLS records ``data`` starts with, as (type, body), and what follows that is not one
    (clear text, or a record cut short)."""
    records, at = [], 0
    while len(data) - at >= 5 and 20 <= data[at] <= 24 and data[at + 1] == 3:
        end = at + 5 + int.from_bytes(data[at + 3 : at + 5], "big")
        if end > len(data):
            break
        records.append((data[at], data[at + 5 : end]))
        at = end
    return records, data[at:]


def alert_name(body: bytes) -> str:
    """A clear-text alert's description, as OpenSSL names it (`unknown_ca`)."""
    try:
        return ssl.AlertDescription(body[1]).name.removeprefix("ALERT_DESCRIPTION_").lower()
    except (IndexError, ValueError):
        return f"alert {body.hex()}"


def expect_refused_certificate(mail_runs: dict[str, MailRun], name: str, why: str) -> None:
    """The client completes a handshake with the trusted certificate (the `tls` session: a client
    that completes none, a cipher the server does not offer pinned, say, never sees a certificate
    to refuse); then in session ``name`` the scenario ran (connected, STARTTLS, a ClientHello) and
    the client ended the handshake: the server's side never completed it, no AUTH, no message, exit 1."""
    trusted = session(mail_runs, "tls")
    expect(
        trusted.handshake_completed(),
        expected=f"a TLS handshake completed with the trusted certificate (with --starttls), then {why} refused",
        got=f"with the trusted certificate: {describe_tls_attempt(trusted, 'the trusted certificate')}; {trusted.program.describe_exit()}",
        wire=trusted.server.records.wire,
    )
    run = session(mail_runs, name)
    records, clear = tls_records(run.sent_after_starttls() or b"")
    hello = bool(records) and records[0][0] == TLS_RECORD
    credentials = bool(run.server.records.auth) or re.search(rb"(?im)^AUTH", clear) is not None
    expect(
        hello and not run.handshake_completed() and not credentials and not run.server.records.mails and run.program.exit_status == 1,
        expected=f"STARTTLS, a ClientHello, then the client ends the handshake ({why}): no credentials, exit 1",
        got=f"{describe_tls_attempt(run, why)}; {run.program.describe_exit()}",
        wire=run.session if run.handshake_completed() else run.server.records.wire,
    )


def describe_tls_attempt(run: MailRun, why: str) -> str:
    """How far the client went with a certificate it should refuse, as the relay saw it and,
    inside TLS, as the server read it."""
    after = run.sent_after_starttls()
    records, clear = tls_records(after or b"")
    if not run.server.records.wire:
        return "it never connected"
    if after is None:
        return f"no STARTTLS accepted; its commands: {run.commands()[:6]}"
    if not records or records[0][0] != TLS_RECORD:
        return f"STARTTLS, then {repr(after[:30]) if after else 'nothing'} after the 220, not a TLS ClientHello"
    if run.handshake_completed():
        logins = [login for _, login, _ in run.server.records.auth]
        return (f"STARTTLS, a ClientHello, then it completed the handshake, accepting {why}, and sent inside TLS "
                f"(read with the server's key): {run.commands_in_tls()[:6] or 'nothing'}" + (f"; AUTH as {logins}" if logins else ""))
    alerts = [alert_name(body) for kind, body in records if kind == ALERT]
    return ("STARTTLS, a ClientHello, then the handshake ended unfinished" + (f", the client's alert {', '.join(alerts)}" if alerts else "")
            + (f"; then in clear text: {clear[:40]!r}" if clear else ""))


@points(2, group=TLS)
def test_a_certificate_from_an_unknown_authority_is_refused(mail_runs: dict[str, MailRun]) -> None:
    """A certificate it cannot verify: abort, exit 1, no credentials sent (judged on a program that
    completes the handshake with the trusted certificate)."""
    expect_refused_certificate(mail_runs, "untrusted", "a certificate from a CA it does not trust")


@points(2, group=TLS)
def test_a_certificate_for_another_name_is_refused(mail_runs: dict[str, MailRun]) -> None:
    """The host name is verified too: a certificate for another name is refused, exit 1 (judged on
    a program that completes the handshake with the trusted certificate)."""
    expect_refused_certificate(mail_runs, "wrong name", "a certificate for wrong-name.netlab.test")


@points(1, group=TLS)
def test_a_rejected_auth_means_exit_1(mail_runs: dict[str, MailRun]) -> None:
    """An unexpected code to AUTH (`535`): QUIT, exit 1, and no message sent."""
    run = session(mail_runs, "rejected auth")
    expect(
        bool(run.said("AUTH")) and run.program.exit_status == 1 and not run.said("DATA"),
        expected="AUTH, then after the 535 no DATA, exit status 1",
        got=("no AUTH; " if not run.said("AUTH") else "") + ("DATA sent; " if run.said("DATA") else "") + run.program.describe_exit(),
        wire=run.session,
    )


# --- optional exercise 2: MIME attachments ---------------------------------------------

ATTACHED = {"image.png": "image/png", "PHOTO.JPG": "image/jpeg", "data.bin": "application/octet-stream"}


@pytest.fixture
def mime(mail_runs: dict[str, MailRun]) -> MailRun:
    return session(mail_runs, "mime")


@points(2, group=MIME)
def test_attachments_make_a_multipart_mixed_message_with_the_body_first(mime: MailRun) -> None:
    """Each `--attach FILE` makes the message `multipart/mixed`: the body as a `text/plain` part,
    then each file."""
    message = mime.message()
    parts = list(message.iter_parts()) if message is not None and message.is_multipart() else []
    first = parts[0].get_content_type() if parts else None
    wanted = [line for line in BODY.split("\n") if not is_dotted(line)]  # dots: the dot-stuffing check's
    text = [line for line in body_lines(message) if not is_dotted(line)] if message is not None else []
    expect(
        message is not None and message.get_content_type() == "multipart/mixed" and first == "text/plain" and text == wanted,
        expected="multipart/mixed, its first part text/plain with the body",
        got="no message" if message is None else f"{message.get_content_type()}, first part {first}, text lines {text}",
        wire=mime.session,
    )


def attachment(message: EmailMessage | None, name: str) -> EmailMessage | None:
    """The part attached as the file ``name``: its filename's last component (a path given as the
    filename is the type-and-filename check's fault alone)."""
    if message is None:
        return None
    return next((part for part in message.iter_attachments() if file_name(part.get_filename()) == name), None)  # type: ignore[misc]


@points(3, group=MIME)
def test_each_attachment_decodes_to_the_file(mime: MailRun, attachments: dict[str, Path]) -> None:
    """Each file as a base64 part that decodes to the file's bytes."""
    message = mime.message()
    problems = []
    for name in ATTACHED:
        part = attachment(message, name)
        if part is None:
            problems.append(f"no part with filename {name}")
        elif (part["Content-Transfer-Encoding"] or "").strip().lower() != "base64":
            problems.append(f"{name}: {part['Content-Transfer-Encoding']}, not base64")
        elif (data := part.get_payload(decode=True)) != attachments[name].read_bytes():
            problems.append(f"{name}: {describe_difference(data, attachments[name].read_bytes(), 'the file')}")  # type: ignore[arg-type]
    expect(not problems, expected="every attachment, base64, decoding to its file", got="; ".join(problems), wire=mime.session)


@points(2, group=MIME)
def test_each_attachment_has_its_type_and_filename(mime: MailRun) -> None:
    """Each part has its `Content-Type` (image/png, image/jpeg for .JPG: any case; otherwise what
    mimetypes guesses, or application/octet-stream) and `Content-Disposition: attachment; filename=NAME`,
    NAME the file's name without its directory."""
    message = mime.message()
    problems = []
    for name, media in ATTACHED.items():
        part = attachment(message, name)
        if part is None:
            problems.append(f"no part with filename {name}")
            continue
        if part.get_filename() != name:
            problems.append(f"{name}: filename {part.get_filename()!r}, a path where the file's name goes")
        if part.get_content_type() != media:
            problems.append(f"{name}: {part.get_content_type()}")
        if part.get_content_disposition() != "attachment":
            problems.append(f"{name}: disposition {part.get_content_disposition()}")
    expect(
        not problems,
        expected=", ".join(f"{name} {media}" for name, media in ATTACHED.items()) + ", each an attachment named by its file's name",
        got="; ".join(problems),
        wire=mime.session,
    )


def expect_big_attachment(run: MailRun, attachments: dict[str, Path]) -> None:
    mails = run.server.records.mails
    data = attached(mails[0].content, "big.bin") if mails else None  # quickly, where the message is plain
    if data is None:
        part = attachment(run.message(), "big.bin")
        data = part.get_payload(decode=True) if part is not None else None
    wanted = attachments["big.bin"].read_bytes()
    expect(
        data == wanted,
        expected=f"big.bin whole ({len(wanted)} bytes)",
        got=("no big.bin part" if data is None else describe_difference(data, wanted, "the file"))  # type: ignore[arg-type]
        + f"; {run.program.describe_exit()}",
        wire=run.session,
    )


@points(1, group=MIME)
def test_a_5_mb_attachment_arrives_whole(mail_runs: dict[str, MailRun], attachments: dict[str, Path]) -> None:
    """Attachments of 5 MB arrive whole (without `--starttls`)."""
    expect_big_attachment(session(mail_runs, "big"), attachments)


@points(1, group=MIME)
def test_a_5_mb_attachment_arrives_whole_over_tls(mail_runs: dict[str, MailRun], attachments: dict[str, Path]) -> None:
    """Attachments of 5 MB arrive whole with TLS too."""
    expect_big_attachment(session(mail_runs, "big tls"), attachments)
