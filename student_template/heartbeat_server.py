"""UDP heartbeat server: your part of LABS.md, lab `pinger`, optional exercise 2.

Usage: python heartbeat_server.py [PORT] [--timeout SECONDS]
       (defaults: port 12000, timeout 3 s)

To do: for each datagram `Heartbeat seq t` print
`Heartbeat seq from HOST:PORT delay=<receive time - t>`, and before it a line
`Lost k from HOST:PORT` for every sequence number skipped since the last one
heard from that client (counting from 1). Once a client has been silent for
--timeout seconds, print `Client HOST:PORT stopped` once. Never answer, and
never stop on a malformed datagram.
"""

import argparse
import socket


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP heartbeat server")
    parser.add_argument("port", nargs="?", type=int, default=12000,
                        help="UDP port to listen on (default 12000)")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds of silence before a client is stopped (default 3)")
    args = parser.parse_args()

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_socket.bind(("", args.port))
    server_socket.settimeout(0.1)  # recvfrom() raises TimeoutError after 0.1 s
    print(f"UDP server ready on port {args.port}")

    # TODO(student): keep, per client address (host, port), the last sequence
    # number and the time it was last heard (time.monotonic()).

    while True:
        try:
            data, client_address = server_socket.recvfrom(2048)
        except TimeoutError:
            data = None  # nothing came: only check for silent clients below
        # TODO(student): if data came: decode it and split it into
        # "Heartbeat", seq (int), t (float); ignore it if that fails.
        # TODO(student): print a "Lost k from HOST:PORT" line for each seq
        # skipped since this client's last one (none if seq is not higher),
        # then "Heartbeat seq from HOST:PORT delay=..." (time.time() - t).
        # TODO(student): for each client silent for args.timeout seconds or
        # more, print "Client HOST:PORT stopped" and forget it.


if __name__ == "__main__":
    main()
