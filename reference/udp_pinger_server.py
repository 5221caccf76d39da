"""Lossy UDP ping server (the textbook's UDPPingerServer.py), lab `pinger`.

Usage: python udp_pinger_server.py [PORT] [--loss FRACTION] [--seed N]
       (defaults: port 12000, loss 0.3, a different random run each time)

Every datagram received is uppercased and sent back to its sender, except a
random fraction of them, which are dropped to simulate packet loss: a
datagram is dropped when random.random() < FRACTION. With --seed the drops
are the same from one run to the next.

This server is for trying udp_pinger.py by hand. The graders do not use it:
they run their own server, which drops and delays replies on a schedule.
"""

import argparse
import random
import socket


def main() -> None:
    parser = argparse.ArgumentParser(description="lossy UDP ping server")
    parser.add_argument("port", nargs="?", type=int, default=12000,
                        help="UDP port to listen on (default 12000)")
    parser.add_argument("--loss", type=float, default=0.3,
                        help="fraction of datagrams to drop, 0 to 1 (default 0.3)")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed, for a reproducible run")
    args = parser.parse_args()
    if not 0.0 <= args.loss <= 1.0:
        parser.error("--loss must be between 0 and 1")

    rng = random.Random(args.seed)
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_socket.bind(("", args.port))
    print(f"UDP ping server ready on port {args.port} (loss {args.loss:g})")

    while True:
        message, client_address = server_socket.recvfrom(1024)
        if rng.random() < args.loss:
            print(f"dropped  {message!r} from {client_address}")
            continue
        # bytes.upper() changes ASCII letters only: any datagram can be echoed.
        server_socket.sendto(message.upper(), client_address)
        print(f"answered {message!r} from {client_address}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
