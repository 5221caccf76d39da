"""UDP pinger client: your part of LABS.md, lab `pinger`.

Usage: python udp_pinger.py HOST PORT

To do: send ten pings `Ping i t` (i from 1 to 10, t = time.time()) to the
server, one after another. After each ping, wait for its reply until 1 second
after sending it, and print either the reply and its round-trip time (RTT) or
`Request timed out`. A late reply to an earlier ping must not be taken for
the reply to a later one. Optional exercise 1: after the ten pings, print the
minimum, average and maximum RTT and the packet loss rate. Exit 0.
"""

import argparse
import socket
import time

PING_COUNT = 10
TIMEOUT_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP pinger client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server UDP port")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    for seq in range(1, PING_COUNT + 1):
        # TODO(student): build the datagram f"Ping {seq} {time.time()}" and send
        # it to (args.host, args.port); note time.perf_counter() just before.
        # TODO(student): wait for the reply until TIMEOUT_SECONDS after sending:
        # settimeout() to the time that remains, recvfrom() (TimeoutError when
        # it runs out). A reply whose second word is not `seq` (a late reply to
        # an earlier ping) is ignored: go on waiting until the deadline.
        # TODO(student): print one line: the reply as received and its RTT,
        # e.g. f"Reply from {args.host}:{args.port}: {reply} rtt={rtt:.6f} s",
        # or "Request timed out" when no reply came in time.
        pass

    # TODO(student), optional exercise 1: if any reply came, print
    # "rtt min/avg/max = a/b/c s"; always print the loss, e.g. "packet loss: 30%".

    client_socket.close()


if __name__ == "__main__":
    main()
