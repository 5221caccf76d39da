# A bounded fork bomb: every process forks two children down to depth 4 (31 processes), each one
# appends its pid to pids.txt in the working directory, and all of them hang forever.
import os
import threading

depth = 0
while depth < 4:
    if os.fork() == 0:
        depth += 1
        continue
    if os.fork() == 0:
        depth += 1
        continue
    break
fd = os.open("pids.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
os.write(fd, f"{os.getpid()}\n".encode())
os.close(fd)
threading.Event().wait()
