# Ignores the polite signals (SIGTERM, SIGINT, SIGHUP), says "ready", then hangs forever.
import signal
import threading

for name in ("SIGTERM", "SIGINT", "SIGHUP"):
    if hasattr(signal, name):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
print("ready")
threading.Event().wait()
