"""UDP uppercase echo client (LABS.md, lab `echo`).

Usage: python udp_client.py HOST PORT < lines.txt

Each line of standard input is sent, without its line ending, as one
datagram; the server's reply is printed on one line. A reply that does not
come within 2 seconds is reported on stderr and the client goes on with the
next line. Exits 0 at the end of the input.
"""

import argparse
import socket
import sys

TIMEOUT_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP uppercase echo client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server UDP port")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client_socket.settimeout(TIMEOUT_SECONDS)

    for line in sys.stdin:
        message = line.removesuffix("\n").removesuffix("\r")
        try:
            client_socket.sendto(message.encode("utf-8"), (args.host, args.port))
            reply, _server_address = client_socket.recvfrom(2048)
        except TimeoutError:
            print(f"no reply within {TIMEOUT_SECONDS:g} s for {message!r}",
                  file=sys.stderr)
            continue
        except OSError as err:  # e.g. unknown host, ICMP port unreachable
            print(f"error for {message!r}: {err}", file=sys.stderr)
            continue
        print(reply.decode("utf-8", "replace"))

    client_socket.close()


if __name__ == "__main__":
    main()
