"""UDP heartbeat server (LABS.md, lab `pinger`, optional exercise 2).

Usage: python heartbeat_server.py [PORT] [--timeout SECONDS]
       (defaults: port 12000, timeout 3 s)

Listens for datagrams `Heartbeat seq t` (seq an int, t the client's sending
time from time.time()) and never answers. Each client, told apart by its
HOST:PORT, has its last sequence number and the time it was last heard.
For each heartbeat it prints

    Lost k from HOST:PORT                         (one per skipped seq)
    Heartbeat seq from HOST:PORT delay=<receive time - t>

The Lost lines come first, one for every sequence number skipped since the
last one heard from that client, counting from 1 (a first heartbeat with
seq 3 means 1 and 2 were lost). A seq no higher than the last one (a
duplicate or a late one) is printed as a heartbeat and reports no loss.
(Past 1000 Lost lines for one heartbeat, the rest is summed up in one line,
so that one absurd seq cannot keep the server printing for hours.)
Once a client has been silent for --timeout seconds it prints

    Client HOST:PORT stopped

and forgets the client: if it comes back, it is a new client, counted from
1 again. A malformed datagram is reported on stderr and ignored. The server
runs until it is killed.
"""

import argparse
import math
import socket
import sys
import time
from dataclasses import dataclass

CHECK_SECONDS = 0.1   # how often silent clients are looked for, at most
MAX_LOST_LINES = 1000  # Lost lines per heartbeat, at most


@dataclass
class Client:
    last_seq: int
    last_heard: float  # time.monotonic() of its last heartbeat


def parse_heartbeat(data: bytes) -> tuple[int, float] | None:
    """(seq, t) of a datagram `Heartbeat seq t`, or None if malformed."""
    try:
        word, seq, sent_at = data.decode("utf-8").split()
        if word != "Heartbeat":
            return None
        seq_number, sent_time = int(seq), float(sent_at)
    except (UnicodeDecodeError, ValueError):
        return None
    if not math.isfinite(sent_time):
        return None
    return seq_number, sent_time


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP heartbeat server")
    parser.add_argument("port", nargs="?", type=int, default=12000,
                        help="UDP port to listen on (default 12000)")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds of silence before a client is stopped (default 3)")
    args = parser.parse_args()
    if args.timeout <= 0:
        parser.error("--timeout must be positive")

    server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_socket.bind(("", args.port))
    server_socket.settimeout(CHECK_SECONDS)  # wake up to check for silence
    print(f"UDP server ready on port {args.port}")

    clients: dict[tuple[str, int], Client] = {}

    while True:
        try:
            data, address = server_socket.recvfrom(2048)
        except TimeoutError:
            pass
        else:
            received_at = time.time()
            name = f"{address[0]}:{address[1]}"
            heartbeat = parse_heartbeat(data)
            if heartbeat is None:
                print(f"ignored a malformed datagram from {name}: {data[:80]!r}",
                      file=sys.stderr)
            else:
                seq, sent_time = heartbeat
                client = clients.setdefault(address, Client(0, 0.0))
                lost = range(client.last_seq + 1, seq)
                for k in lost[:MAX_LOST_LINES]:
                    print(f"Lost {k} from {name}")
                if len(lost) > MAX_LOST_LINES:
                    print(f"... and {len(lost) - MAX_LOST_LINES} more lost, "
                          f"up to {seq - 1}, from {name}")
                print(f"Heartbeat {seq} from {name} "
                      f"delay={received_at - sent_time:.6f}")
                client.last_seq = max(client.last_seq, seq)
                client.last_heard = time.monotonic()

        now = time.monotonic()
        for address, client in list(clients.items()):
            if now - client.last_heard >= args.timeout:
                print(f"Client {address[0]}:{address[1]} stopped")
                del clients[address]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
