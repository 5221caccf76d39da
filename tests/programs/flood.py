# Floods its output: 12 MiB on stdout and 2 MiB on stderr, interleaved, then exits 0.
import sys

line = b"x" * 1023 + b"\n"
for i in range(12 * 1024):
    sys.stdout.buffer.write(line)
    if i % 6 == 0:
        sys.stderr.buffer.write(line)
