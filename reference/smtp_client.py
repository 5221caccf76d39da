"""A mail client that speaks SMTP over a socket (LABS.md, lab `smtp`, with
optional exercises 1, TLS, and 2, MIME).

Usage: python smtp_client.py --server HOST [--port PORT] --sender ADDR
           --recipient ADDR [--subject TEXT] [--body TEXT] [--starttls]
           [--username U --password P] [--attach FILE]...
       (default port 25; --username goes with --starttls)

The dialogue: the 220 greeting, EHLO, with --starttls STARTTLS (220) then
EHLO again over TLS that verifies the server's certificate and host name,
with --username AUTH PLAIN (or AUTH LOGIN if the server does not offer
PLAIN) (235), MAIL FROM (250), RCPT TO (250 or 251), DATA (354), the
message ended by CRLF.CRLF (250), QUIT (221). Exits 0 after the 221.

The message has From, To, Subject and Date headers and the body with CRLF
line ends; with --attach it is multipart/mixed, built with the email package:
the body as text/plain, then each file as a base64 part. Lines starting
with "." are sent with ".." (dot-stuffing).

On an unexpected reply code it prints the reply to stderr, sends QUIT and
exits 1. When the connection fails or TLS cannot be set up (say, a
certificate that does not verify) it prints the error and exits 1, without
QUIT and without sending the credentials. A missing --attach file is
reported before connecting.
"""

import argparse
import base64
import mimetypes
import os
import socket
import ssl
import sys
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

TIMEOUT_SECONDS = 30.0
CRLF = b"\r\n"
# The types LABS.md names; for other extensions ask mimetypes.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif"}


class UnexpectedReply(Exception):
    """The server answered a command with a code we did not expect."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class SMTPConnection:
    """Sends commands and reads whole replies, however TCP splits them."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""  # bytes received but not yet read as a line

    def read_line(self) -> str:
        """One line of a reply, without its line end (CRLF, or a bare LF)."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def read_reply(self) -> tuple[int, list[str]]:
        """A whole reply: lines "250-..." go on, a line "250 ..." ends it."""
        lines = [self.read_line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.read_line())
        code = lines[-1][:3]
        return (int(code) if code.isdigit() else 0), lines

    def expect(self, *codes: int) -> list[str]:
        """Read a reply; raise UnexpectedReply unless its code is one of `codes`."""
        code, lines = self.read_reply()
        if code not in codes:
            raise UnexpectedReply(lines)
        return lines

    def command(self, line: str, *codes: int) -> list[str]:
        """Send one command line (with CRLF) and check the code of its reply."""
        self.sock.sendall(line.encode("utf-8") + CRLF)
        return self.expect(*codes)

    def start_tls(self, host: str) -> None:
        """Wrap the socket in TLS that checks the certificate and `host`."""
        context = ssl.create_default_context()  # honours SSL_CERT_FILE
        self.sock = context.wrap_socket(self.sock, server_hostname=host)
        self.buffer = b""  # nothing sent before TLS may be trusted after it


def auth_mechanisms(ehlo_lines: list[str]) -> list[str]:
    """The mechanisms of the "250-AUTH PLAIN LOGIN" line of an EHLO reply."""
    for line in ehlo_lines[1:]:
        words = line[4:].upper().replace("=", " ").split()
        if words and words[0] == "AUTH":
            return words[1:]
    return []


def b64(text: str) -> str:
    """Base64 of the UTF-8 bytes of `text`, as AUTH wants it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def dot_stuff(message: bytes) -> bytes:
    """Double the "." that starts a line, so no line is a lone "."."""
    if message.startswith(b"."):
        message = b"." + message
    return message.replace(b"\r\n.", b"\r\n..")


def plain_message(sender: str, recipient: str, subject: str, body: str) -> bytes:
    """Headers, an empty line, then the body with CRLF line ends."""
    headers = (f"From: {sender}\r\n"
               f"To: {recipient}\r\n"
               f"Subject: {subject}\r\n"
               f"Date: {formatdate(localtime=True)}\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n")
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return (headers + "\r\n" + body).encode("utf-8")


def mime_type(path: str) -> tuple[str, str]:
    """The (maintype, subtype) of a file, from its extension."""
    extension = os.path.splitext(path)[1].lower()
    guessed = IMAGE_TYPES.get(extension) or mimetypes.guess_type(path)[0]
    maintype, subtype = (guessed or "application/octet-stream").split("/", 1)
    return maintype, subtype


def mime_message(sender: str, recipient: str, subject: str, body: str,
                 attachments: list[tuple[str, bytes]]) -> bytes:
    """A multipart/mixed message: the body as text/plain, then the files."""
    message = EmailMessage(policy=SMTP)  # the SMTP policy ends lines in CRLF
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message.set_content(body)
    for path, data in attachments:
        maintype, subtype = mime_type(path)
        message.add_attachment(data, maintype, subtype,
                               filename=os.path.basename(path))
    return message.as_bytes()


def send_mail(conn: SMTPConnection, args: argparse.Namespace, message: bytes) -> None:
    """The whole dialogue, from the greeting to the 221 after QUIT."""
    conn.expect(220)
    hostname = socket.gethostname() or "localhost"
    ehlo = conn.command(f"EHLO {hostname}", 250)

    if args.starttls:
        conn.command("STARTTLS", 220)
        conn.start_tls(args.server)
        ehlo = conn.command(f"EHLO {hostname}", 250)  # the TLS session's list

    if args.username is not None:
        if "PLAIN" in auth_mechanisms(ehlo):
            credentials = b64(f"\0{args.username}\0{args.password}")
            conn.command(f"AUTH PLAIN {credentials}", 235)
        else:
            conn.command("AUTH LOGIN", 334)  # asks for the user name
            conn.command(b64(args.username), 334)  # asks for the password
            conn.command(b64(args.password), 235)

    conn.command(f"MAIL FROM:<{args.sender}>", 250)
    conn.command(f"RCPT TO:<{args.recipient}>", 250, 251)
    conn.command("DATA", 354)
    data = dot_stuff(message)
    if not data.endswith(CRLF):
        data += CRLF
    conn.sock.sendall(data + b".\r\n")  # the message ends with CRLF.CRLF
    conn.expect(250)
    conn.command("QUIT", 221)


def main() -> None:
    parser = argparse.ArgumentParser(description="Send one e-mail over SMTP")
    parser.add_argument("--server", required=True, help="SMTP server host name or address")
    parser.add_argument("--port", type=int, default=25, help="SMTP server port (default 25)")
    parser.add_argument("--sender", required=True, help="the sender's address")
    parser.add_argument("--recipient", required=True, help="the recipient's address")
    parser.add_argument("--subject", default="netlab", help="the Subject header")
    parser.add_argument("--body", default="Hello from netlab.", help="the message text")
    parser.add_argument("--starttls", action="store_true",
                        help="switch to TLS with STARTTLS after EHLO")
    parser.add_argument("--username", help="log in with AUTH (needs --starttls)")
    parser.add_argument("--password", help="the password for --username")
    parser.add_argument("--attach", action="append", default=[], metavar="FILE",
                        help="attach a file (may be given more than once)")
    args = parser.parse_args()
    if args.username is not None and not args.starttls:
        parser.error("--username goes with --starttls: never send a password in clear")
    if (args.username is None) != (args.password is None):
        parser.error("--username and --password go together")
    if any(c in (args.sender + args.recipient + args.subject) for c in "\r\n"):
        parser.error("--sender, --recipient and --subject must be one line each")

    # Build the whole message first, so a missing file stops us before connecting.
    try:
        attachments = [(path, Path(path).read_bytes()) for path in args.attach]
    except OSError as err:
        print(f"smtp_client: cannot read attachment: {err}", file=sys.stderr)
        sys.exit(1)
    if attachments:
        message = mime_message(args.sender, args.recipient, args.subject,
                               args.body, attachments)
    else:
        message = plain_message(args.sender, args.recipient, args.subject, args.body)

    try:
        sock = socket.create_connection((args.server, args.port), timeout=TIMEOUT_SECONDS)
    except OSError as err:  # refused, unknown host, time-out...
        print(f"smtp_client: {args.server}:{args.port}: {err}", file=sys.stderr)
        sys.exit(1)

    conn = SMTPConnection(sock)
    try:
        send_mail(conn, args, message)
    except UnexpectedReply as err:
        print("smtp_client: unexpected reply from the server:", file=sys.stderr)
        print(err, file=sys.stderr)
        try:  # say goodbye politely; the connection may be gone already
            conn.sock.settimeout(5.0)
            conn.command("QUIT", 221)
        except (OSError, UnexpectedReply):
            pass
        conn.sock.close()
        sys.exit(1)
    except OSError as err:  # closed, reset, time-out, or TLS failed (ssl.SSLError)
        print(f"smtp_client: {args.server}:{args.port}: {err}", file=sys.stderr)
        conn.sock.close()
        sys.exit(1)
    conn.sock.close()


if __name__ == "__main__":
    main()
