# Prints a line without flushing it, then hangs forever: only unbuffered output lets anyone see the line.
import threading

print("hello before hanging")
threading.Event().wait()
