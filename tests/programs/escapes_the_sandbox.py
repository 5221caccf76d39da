# Tries to undo its sandbox: unmount what hides argv[1], write beside its working directory and into
# its own cgroup. Prints one line per attempt: "done ..." or "refused ...".
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
if libc.umount2(sys.argv[1].encode(), 2) == 0:  # MNT_DETACH
    print("done umount", sys.argv[1])
else:
    print("refused umount:", os.strerror(ctypes.get_errno()))
for path in (os.path.join(os.path.dirname(os.getcwd()), "planted.txt"), "/sys/fs/cgroup/pids/pids.max"):
    try:
        with open(path, "w") as f:
            f.write("999\n")
        print("done write", path)
    except OSError as error:
        print("refused write:", error.strerror)
with open("allowed.txt", "w") as f:
    f.write("the working directory is writable\n")
print("done write allowed.txt")
