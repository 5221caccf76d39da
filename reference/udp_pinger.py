"""UDP pinger client (LABS.md, lab `pinger`, with optional exercise 1).

Usage: python udp_pinger.py HOST PORT

Sends ten pings, one after another: ping i (1 to 10) is the datagram
`Ping i t`, with t the sending time from time.time(). After each ping it
waits for the reply until 1 second after sending it. A datagram whose
sequence number (its second word) is not i, such as a late reply to an
earlier ping, is ignored and the wait goes on. For each ping it prints

    Reply from HOST:PORT: <the reply as received> rtt=<seconds> s
or
    Request timed out

and after the ten pings the statistics:

    rtt min/avg/max = <min>/<avg>/<max> s     (only if a reply came)
    packet loss: <percent>%

The RTT is measured with time.perf_counter(), a monotonic clock, from just
before sending the ping to just after its reply arrived. Exits 0.
"""

import argparse
import socket
import sys
import time

PING_COUNT = 10
TIMEOUT_SECONDS = 1.0


def sequence_number(data: bytes) -> int | None:
    """The second word of a reply as an int, or None if there is none."""
    words = data.decode("utf-8", "replace").split()
    try:
        return int(words[1])
    except (IndexError, ValueError):
        return None


def wait_for_reply(client_socket: socket.socket, seq: int,
                   deadline: float) -> tuple[bytes, tuple[str, int]] | None:
    """Wait until `deadline` (a time.perf_counter() value) for the reply to
    ping `seq`; return it with its sender's address, or None on time-out."""
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        client_socket.settimeout(remaining)
        try:
            data, server_address = client_socket.recvfrom(2048)
        except TimeoutError:
            return None
        except ConnectionRefusedError:  # ICMP "port unreachable": keep waiting
            continue
        if sequence_number(data) == seq:
            return data, server_address
        # Anything else (a late reply to an earlier ping, a duplicate,
        # garbage) is ignored: wait on until the deadline.


def main() -> None:
    parser = argparse.ArgumentParser(description="UDP pinger client")
    parser.add_argument("host", help="server host name or address")
    parser.add_argument("port", type=int, help="server UDP port")
    args = parser.parse_args()

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtts: list[float] = []

    for seq in range(1, PING_COUNT + 1):
        message = f"Ping {seq} {time.time()}"
        sent_at = time.perf_counter()
        try:
            client_socket.sendto(message.encode("utf-8"), (args.host, args.port))
        except OSError as err:  # e.g. unknown host: this ping is lost
            print(f"could not send ping {seq}: {err}", file=sys.stderr)
            result = None
        else:
            result = wait_for_reply(client_socket, seq, sent_at + TIMEOUT_SECONDS)

        if result is None:
            print("Request timed out")
            continue
        reply, (server_host, server_port) = result
        rtt = time.perf_counter() - sent_at
        rtts.append(rtt)
        print(f"Reply from {server_host}:{server_port}: "
              f"{reply.decode('utf-8', 'replace')} rtt={rtt:.6f} s")

    if rtts:
        average = sum(rtts) / len(rtts)
        print(f"rtt min/avg/max = {min(rtts):.6f}/{average:.6f}/{max(rtts):.6f} s")
    loss_percent = 100 * (PING_COUNT - len(rtts)) // PING_COUNT
    print(f"packet loss: {loss_percent}%")

    client_socket.close()


if __name__ == "__main__":
    main()
