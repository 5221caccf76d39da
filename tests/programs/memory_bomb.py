# Asks for 4 GiB at once, and says whether it got it.
try:
    hoard = bytearray(4 << 30)
    print(f"got {len(hoard)} bytes")
except MemoryError:
    print("MemoryError")
