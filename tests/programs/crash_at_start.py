# Crashes before it listens: an uncaught exception, so a traceback on stderr and exit status 1.
raise RuntimeError("boom: the server could not start")
