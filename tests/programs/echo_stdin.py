# Reads stdin to its end, writes it back to stdout, reports on stderr how many bytes came before EOF, exits 0.
import sys

data = sys.stdin.buffer.read()
sys.stdout.buffer.write(data)
print(f"EOF after {len(data)} bytes", file=sys.stderr)
