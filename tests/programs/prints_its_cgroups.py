# Prints /proc/self/cgroup: the cgroups it was put in (a sandboxed program's pids cgroup among them).
with open("/proc/self/cgroup") as f:
    print(f.read(), end="")
