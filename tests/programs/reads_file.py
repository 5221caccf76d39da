# Tries to read the file named by argv[1] (a grader's or the reference's), and says what it got.
import sys

try:
    with open(sys.argv[1], "rb") as f:
        print(f"read {len(f.read())} bytes")
except OSError as error:
    print(f"denied: {error}")
