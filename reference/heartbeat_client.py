"""UDP heartbeat client (LABS.md, lab `pinger`, optional exercise 2).

Usage: python heartbeat_client.py HOST PORT [--interval SECONDS] [--count N]
       (defaults: one heartbeat per second, for ever)

Sends the datagram `Heartbeat seq t` every interval, seq counting from 1 and
t the sending time from time.time(). Heartbeat k is scheduled at
start + (k - 1) * interval, so the interval does not drift however long
sending takes. With --count it stops after N heartbeats and exits 0;
without it, it runs until it is killed. It never waits for an answer.
"""

import argparse
import itertools
import socket
import sys
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
    if args.interval <= 0:
        parser.error("--interval must be positive")

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sequence_numbers = (itertools.count(1) if args.count is None
                        else range(1, args.count + 1))
    start = time.monotonic()

    for seq in sequence_numbers:
        # Sleep until this heartbeat's own time slot (no sleep for the first).
        time.sleep(max(0.0, start + (seq - 1) * args.interval - time.monotonic()))
        message = f"Heartbeat {seq} {time.time()}"
        try:
            client_socket.sendto(message.encode("utf-8"), (args.host, args.port))
        except OSError as err:  # e.g. unknown host: try again next time
            print(f"could not send heartbeat {seq}: {err}", file=sys.stderr)
            continue
        print(f"sent: {message}")

    client_socket.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
