"""Mail client: your part of LABS.md, lab `smtp`.

Usage: python smtp_client.py --server HOST [--port PORT] --sender ADDR
           --recipient ADDR [--subject TEXT] [--body TEXT] [--starttls]
           [--username U --password P] [--attach FILE]...
       (default port 25; --username goes with --starttls)

To do: send one e-mail by speaking SMTP over the socket yourself: read the
220 greeting, then EHLO, MAIL FROM:<sender>, RCPT TO:<recipient>, DATA, the
message (From, To and Subject headers, an empty line, the body with CRLF line
ends, dot-stuffed, ended by CRLF.CRLF) and QUIT. Exit 0 after the 221.
Check the code of every reply; on an unexpected one print the reply to
stderr, send QUIT and exit 1.
Optional exercise 1: --starttls (TLS that verifies the server's certificate)
and AUTH with --username/--password.
Optional exercise 2: --attach FILE makes a multipart/mixed MIME message.
Do not use smtplib. Building the MIME message with the email package is fine.
"""

import argparse
import socket
import sys


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

    # TODO(student): optional exercise 2, MIME. If args.attach is not empty,
    # read every file now (a missing one: message on stderr, exit 1, before
    # connecting) and build the message with email.message.EmailMessage(
    # policy=email.policy.SMTP): From, To, Subject, set_content(body), then
    # add_attachment(data, maintype, subtype, filename=NAME) per file, NAME
    # the file's name without its directory (image.png, not /tmp/x/image.png),
    # with image/png, image/jpeg, image/gif for .png, .jpg/.jpeg, .gif (any
    # case), else mimetypes.guess_type() or application/octet-stream;
    # as_bytes().

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.settimeout(30.0)
    try:
        client_socket.connect((args.server, args.port))
    except OSError as err:  # refused, unknown host, time-out...
        print(f"smtp_client: {args.server}:{args.port}: {err}", file=sys.stderr)
        sys.exit(1)

    # TODO(student): write a function that reads one whole reply. A reply may
    # have several lines ("250-..." lines, then a last "250 ..." line: the 4th
    # character is a space), and TCP may split it anywhere: keep the bytes
    # recv() gives you in a buffer and cut lines at "\r\n" (accept a bare
    # "\n" too). The reply code is the first 3 characters of its last line.
    # TODO(student): check the code of every reply. On an unexpected code,
    # print the reply to sys.stderr, send "QUIT\r\n" and exit 1 (so: no DATA
    # after a rejected RCPT TO).
    # TODO(student): read the greeting: expect 220.
    # TODO(student): send "EHLO <your host name>\r\n" (every command ends in
    # "\r\n"): expect 250. Keep its lines: they list the AUTH mechanisms.
    # TODO(student): optional exercise 1, TLS. With args.starttls: send
    # "STARTTLS", expect 220, then wrap the socket with
    # ssl.create_default_context().wrap_socket(client_socket,
    # server_hostname=args.server) (it verifies the certificate and the host
    # name), and send EHLO again. If the handshake fails (ssl.SSLError): print
    # the error, close the socket and exit 1, without sending the password.
    # TODO(student): with args.username: "AUTH PLAIN " + base64 of
    # "\0username\0password" (or "AUTH LOGIN", then base64 of the user name,
    # then of the password, each answered by 334): expect 235.
    # TODO(student): send "MAIL FROM:<sender>" (expect 250), then
    # "RCPT TO:<recipient>" (expect 250 or 251), then "DATA" (expect 354).
    # TODO(student): send the message: "From: ...", "To: ...", "Subject: ..."
    # header lines, an empty line, then the body with "\r\n" line ends (turn
    # the "\n" of args.body into "\r\n"). Dot-stuffing: a line that starts
    # with "." is sent with one more "." in front. Make the message end in
    # "\r\n", then send ".\r\n" (so it ends with CRLF.CRLF), and expect
    # 250. Use sendall(), so 5 MB attachments go out whole.
    # TODO(student): send "QUIT", expect 221, close the socket and exit 0.
    client_socket.close()


if __name__ == "__main__":
    main()
