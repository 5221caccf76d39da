"""UDP heartbeat client: your part of LABS.md, lab `pinger`, optional exercise 2.

Usage: python heartbeat_client.py HOST PORT [--interval SECONDS] [--count N]
       (defaults: one heartbeat per second, for ever)

To do: send the datagram `Heartbeat seq t` (seq from 1, t = time.time())
every interval (fractions of a second allowed); for ever, or N times with
--count and then exit 0.
"""

import argparse
import itertools
import socket
import time


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP heartbeat client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server UDP port")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between heartbeats (default 1)")
    parser.add_argument("--count", type=int, default=None,
                        help="number of heartbeats to send (default: for ever)")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sequence_numbers = (itertools.count(1) if args.count is None
                        else range(1, args.count + 1))
    start = time.monotonic()

    for seq in sequence_numbers:
        # TODO(student): send f"Heartbeat {seq} {time.time()}" to
        # (args.host, args.port) as one datagram.
        # TODO(student): wait for the next heartbeat's time. Sleeping a whole
        # interval each time drifts; sleep until start + seq * args.interval.
        time.sleep(args.interval)

    client_socket.close()


if __name__ == "__main__":
    main()
