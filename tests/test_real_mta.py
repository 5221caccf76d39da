"""The reference mail client against a real MTA that nobody here wrote: Exim.

The graders' SMTP servers are ours, so a reference that only ever talks to
them could share their mistakes. Here `reference/smtp_client.py` sends to
Debian's Exim (`apt-get install exim4-daemon-light`), run in the foreground
on a free loopback port with its own configuration (`tests/mta/exim.conf`),
and the message is read back from the Maildir Exim delivered it to.

Where Exim runs: Debian's Exim never delivers as root, and after binding its
socket it works as its own user (Debian-exim), which cannot enter pytest's
`tmp_path` when pytest runs as root (`/tmp/pytest-of-root` is mode 0700).
So as root, Exim's home (spool, logs, Maildir) is a private directory of its
own in the system's temporary directory, removed at the end; as any other
user, Exim runs as that user inside `tmp_path`. Either way nothing outside
that home is written, no system daemon is involved, and every Exim process is
gone when a test ends.
"""

from __future__ import annotations

import email
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from graders.network.ports import LOOPBACK, bound_ports, free_port, port_is_taken
from tests.grading import REFERENCE, REPO

INSTALL = "apt-get install exim4-daemon-light"
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
EXIM = shutil.which("exim4", path=SBIN_PATH) or shutil.which("exim", path=SBIN_PATH)
CONFIG_TEMPLATE = Path(__file__).parent / "mta" / "exim.conf"
IMAGE = REPO / "fixtures" / "www" / "image.png"

READY_WITHIN = 10.0  # seconds from starting Exim to its listening socket
SEND_WITHIN = 30.0  # seconds for the client's whole SMTP dialogue
DELIVERED_WITHIN = 10.0  # seconds from the client's exit to the message in the Maildir
GONE_WITHIN = 5.0  # seconds for Exim's processes to be gone after a signal
POLL = 0.02  # seconds between two looks

MAILBOX = "student"
SENDER = "alice@example.com"
RECIPIENT = f"{MAILBOX}@netlab.test"
SUBJECT = "Lab report, with a line that starts with a dot"
# Lines the client must dot-stuff: a lone "." would end the message early.
BODY_LINES = ["Dear student,", ".hidden? no: this line starts with a dot", "..and this one with two", ".",
              "Regards,", "Alice"]

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="Exim runs on POSIX systems only"),
    pytest.mark.skipif(EXIM is None, reason=f"exim4 is not installed: {INSTALL}"),
]


class Exim:
    """One Exim daemon (`exim -C CONFIG -bdf`) in its own session, and its Maildir."""

    def __init__(self, binary: str, home: Path, user: str, group: str, port: int) -> None:
        self.home = home
        self.port = port
        self.config = home / "exim.conf"
        text = CONFIG_TEMPLATE.read_text()
        for field, value in {"HOME": str(home), "USER": user, "GROUP": group, "PORT": str(port),
                             "MAILBOX": MAILBOX}.items():
            text = text.replace("{{" + field + "}}", value)
        self.config.write_text(text)
        self.config.chmod(0o644)  # Exim refuses a configuration that others may write
        self.stderr = home / "exim.stderr"
        with open(self.stderr, "wb") as stderr:
            self.popen = subprocess.Popen(
                [binary, "-C", str(self.config), "-bdf"], cwd=home, stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=stderr, start_new_session=True,
            )

    def wait_listening(self, within: float) -> bool:
        """Whether the daemon is seen listening on its port before the deadline (or its exit).

        Its sockets are in view to root. A user who starts the setuid binary may not look at the
        process's sockets, so then the port taken while the daemon runs is the sign; a port lost
        to another process would make Exim exit (`daemon_startup_retries = 0`)."""
        daemon = psutil.Process(self.popen.pid)  # binds the socket itself, then serves from it
        deadline = time.monotonic() + within
        while self.popen.poll() is None and time.monotonic() < deadline:
            if self.port in bound_ports([daemon], "tcp"):
                return True
            if _sockets_hidden(daemon) and port_is_taken(self.port) and self.popen.poll() is None:
                return True
            time.sleep(POLL)
        return False

    def processes(self) -> list[psutil.Process]:
        """The daemon, its children, and any process run with our configuration (Exim re-executes
        itself to deliver, and such a process may outlive the one that started it)."""
        found: dict[int, psutil.Process] = {}
        try:
            daemon = psutil.Process(self.popen.pid)
            found[daemon.pid] = daemon
            found |= {child.pid: child for child in daemon.children(recursive=True)}
        except psutil.NoSuchProcess:
            pass
        for process in psutil.process_iter(["cmdline"]):
            if str(self.config) in (process.info["cmdline"] or []):
                found.setdefault(process.pid, process)
        return list(found.values())

    def stop(self) -> None:
        """SIGTERM every Exim process of ours, then SIGKILL any still there (the daemon starts a
        helper as it exits, to remove its pid file), until none is left."""
        sig = signal.SIGTERM
        for _ in range(3):
            processes = [process for process in self.processes() if _alive(process)]
            if not processes:
                break
            for process in processes:
                try:
                    process.send_signal(sig)
                except psutil.NoSuchProcess:
                    pass
            if sig == signal.SIGKILL:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)  # forked children keep the group
                except (ProcessLookupError, PermissionError):
                    pass
            _all_gone(processes, GONE_WITHIN)
            sig = signal.SIGKILL
        try:
            self.popen.wait(timeout=GONE_WITHIN)
        except subprocess.TimeoutExpired:
            pass
        left = [process.pid for process in self.processes() if _alive(process)]
        assert not left, f"Exim processes {left} still running after SIGKILL"

    def wait_for_mail(self, within: float = DELIVERED_WITHIN) -> EmailMessage:
        """The one message in the Maildir's `new/`, parsed, once Exim has delivered it."""
        new = self.home / "Maildir" / "new"
        deadline = time.monotonic() + within
        while True:
            delivered = sorted(new.iterdir()) if new.is_dir() else []
            if delivered:
                assert len(delivered) == 1, f"{len(delivered)} messages in {new}, expected 1\n{self.describe()}"
                message = email.message_from_bytes(delivered[0].read_bytes(), policy=default_policy)
                assert isinstance(message, EmailMessage)
                return message
            if time.monotonic() >= deadline:
                pytest.fail(f"no message reached the mailbox {new} within {within:g} s\n{self.describe()}")
            time.sleep(POLL)

    def describe(self) -> str:
        """Exim's own account, for a failure message: its stderr and the tail of its logs."""
        parts = []
        for path in (self.stderr, *(self.home / "log" / name for name in ("mainlog", "rejectlog", "paniclog"))):
            if path.is_file() and path.stat().st_size:
                lines = path.read_text(errors="replace").splitlines()[-15:]
                parts.append(f"{path.name}:\n" + "\n".join(f"  | {line}" for line in lines))
        return "\n".join(parts) or "(Exim wrote nothing to its stderr or logs)"


def _sockets_hidden(process: psutil.Process) -> bool:
    try:
        process.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return True
    except psutil.Error:
        pass
    return False


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie runs no code and holds no port
    except psutil.NoSuchProcess:
        return False


def _all_gone(processes: list[psutil.Process], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in processes):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


def exim_identity(binary: str, scratch: Path) -> tuple[str, str]:
    """The user and group Exim was built to run as (Debian: Debian-exim), from the binary itself."""
    empty = scratch / "empty.conf"
    empty.write_text("")
    empty.chmod(0o644)
    shown = subprocess.run([binary, "-C", str(empty), "-bP", "exim_user", "exim_group"],
                           capture_output=True, text=True, timeout=10)
    settings = dict(line.split(" = ", 1) for line in shown.stdout.splitlines() if " = " in line)
    if shown.returncode != 0 or not {"exim_user", "exim_group"} <= settings.keys():
        pytest.fail(f"`{binary} -bP exim_user exim_group` failed (exit {shown.returncode}):\n"
                    f"{shown.stdout}{shown.stderr}")
    return settings["exim_user"], settings["exim_group"]


@pytest.fixture
def exim_home(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A directory Exim's user owns, with that user and group (see the module's docstring)."""
    assert EXIM is not None
    if os.geteuid() != 0:
        home = tmp_path / "exim"
        home.mkdir()
        yield home, str(os.getuid()), str(os.getgid())
        return
    user, group = exim_identity(EXIM, tmp_path)
    home = Path(tempfile.mkdtemp(prefix="netlab-exim-"))  # mode 0700
    try:
        shutil.chown(home, user, group)
        yield home, user, group
    finally:  # Exim is stopped by now: keep its logs and Maildir in tmp_path for a post-mortem
        try:
            shutil.copytree(home, tmp_path / "exim", ignore=shutil.ignore_patterns("spool"))
        except OSError:
            pass
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def exim(exim_home: tuple[Path, str, str]) -> Iterator[Exim]:
    """Exim listening on a free loopback port (once more on a fresh port if another process took
    it first), stopped with every process it started when the test ends."""
    assert EXIM is not None
    home, user, group = exim_home
    for attempt in range(2):
        server = Exim(EXIM, home, user, group, free_port())
        try:
            listening = server.wait_listening(READY_WITHIN)
        except BaseException:
            server.stop()
            raise
        if listening:
            break
        status = server.popen.poll()
        lost_race = status is not None and port_is_taken(server.port)
        server.stop()
        if not lost_race or attempt == 1:
            what = (f"did not listen on {LOOPBACK}:{server.port} within {READY_WITHIN:g} s" if status is None
                    else f"exited with status {status} before it listened on {LOOPBACK}:{server.port}")
            pytest.fail(f"Exim {what}\n{server.describe()}")
    try:
        yield server
    finally:
        server.stop()


def send(exim: Exim, *options: str) -> None:
    """Run the reference client against Exim; it must exit 0."""
    command = [sys.executable, str(REFERENCE / "smtp_client.py"), "--server", LOOPBACK, "--port", str(exim.port),
               "--sender", SENDER, "--recipient", RECIPIENT, "--subject", SUBJECT,
               "--body", "\n".join(BODY_LINES), *options]
    run = subprocess.run(command, capture_output=True, text=True, timeout=SEND_WITHIN, cwd=REPO)
    assert run.returncode == 0, (f"smtp_client.py exited {run.returncode}\nstdout: {run.stdout}\n"
                                 f"stderr: {run.stderr}\n{exim.describe()}")


def expect_envelope_and_headers(message: EmailMessage) -> None:
    """The envelope Exim recorded (MAIL FROM, RCPT TO) and the client's own headers."""
    assert message["Return-path"] == f"<{SENDER}>"
    assert message["Envelope-to"] == RECIPIENT
    assert message["From"] == SENDER
    assert message["To"] == RECIPIENT
    assert message["Subject"] == SUBJECT


def test_plain_message_reaches_the_mailbox(exim: Exim) -> None:
    """A plain message, with lines that start with ".", arrives in the Maildir as it was written."""
    send(exim)
    message = exim.wait_for_mail()
    expect_envelope_and_headers(message)
    assert message.get_content_type() == "text/plain"
    assert message.get_content().splitlines() == BODY_LINES


def test_attachment_reaches_the_mailbox(exim: Exim) -> None:
    """With `--attach image.png`: multipart/mixed, the body as text/plain, the file's bytes whole."""
    send(exim, "--attach", str(IMAGE))
    message = exim.wait_for_mail()
    expect_envelope_and_headers(message)
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None, "no text/plain part"
    assert body.get_content().splitlines() == BODY_LINES
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [("image.png", "image/png")]
    assert attachments[0].get_content() == IMAGE.read_bytes()
