# Hangs forever: never listens, never reads, never prints, never exits.
import threading

threading.Event().wait()
