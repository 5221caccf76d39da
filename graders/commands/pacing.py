"""How many gradings ``netlab batch`` runs at once, and what the batch achieved.

A grading waits about half its wall time (the pinger's timeouts, the servers' silences), so
one per core leaves the CPUs idle, and a fixed number per core oversubscribes a machine that
is busy with other work: the timing checks then see a loaded machine (a pinger RTT check
failed once in 217 gradings at 3 per core, load 8). By default the batch runs one grading
per core (they need about half the CPUs), and starts another each time the CPUs were less
than ``BUSY`` busy over the last ``WINDOW`` (all the machine's work counted, not only the
batch's), up to ``MOST_PER_CORE`` per core: as many as the machine sustains now, on a
laptop, a CI runner or a shared server alike.
``--jobs N`` fixes N instead.

The batch's last line says what it achieved: submissions per minute, CPU seconds per
submission (the gradings' own, from ``getrusage``), and that as a share of the CPU bound,
``cores x 60 / CPU s per submission`` per minute; and how busy the whole machine was, so a
share lost to other work shows as such.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

import psutil

BUSY = 90.0  # % of all CPUs: below it over the last window, another grading may start
WINDOW = 1.0  # seconds: the shortest look at the CPUs between two starts
MOST_PER_CORE = 6  # gradings per core at most, whatever the CPUs say (memory, file descriptors)


def children_cpu() -> float:
    """CPU seconds of this process's finished children: the gradings'."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


class Pacer:
    """Whether another grading may start now: under ``fixed``, while fewer run; by default, as
    the module's docstring says."""

    def __init__(self, cores: int, fixed: int | None) -> None:
        self.fixed = fixed
        self.least = fixed or cores
        self.most = fixed or MOST_PER_CORE * cores
        self.looked = time.monotonic()
        psutil.cpu_percent(interval=None)  # the first window starts now
        self.peak = 0

    def admits(self, running: int) -> bool:
        allowed = running < self.least or (running < self.most and self.cpus_to_spare())
        if allowed:
            self.peak = max(self.peak, running + 1)
        return allowed

    def cpus_to_spare(self) -> bool:
        """The CPUs were less than BUSY busy since the last look, WINDOW ago at least."""
        now = time.monotonic()
        if now - self.looked < WINDOW:
            return False
        self.looked = now
        return psutil.cpu_percent(interval=None) < BUSY


def machine_cpu() -> tuple[float, float]:
    """The machine's CPU seconds since boot: idle, and all."""
    times = psutil.cpu_times()
    return times.idle, sum(times)


@dataclass
class Throughput:
    """What a batch achieved from its start: the gradings run, their CPU, the machine's."""

    cores: int
    started: float
    cpu_before: float
    machine_before: tuple[float, float]  # the machine's CPU seconds: idle, all

    @classmethod
    def start(cls, cores: int) -> Throughput:
        return cls(cores, time.monotonic(), children_cpu(), machine_cpu())

    def line(self, graded: int, peak: int) -> str:
        """The batch's last line: rate, CPU per submission, share of the CPU bound, the machine's load."""
        wall = time.monotonic() - self.started
        if not graded:
            return f"no grading run, in {wall:.0f} s"
        per_submission = (children_cpu() - self.cpu_before) / graded
        bound = self.cores * 60 / max(per_submission, 1e-3)
        rate = graded / wall * 60
        idle, total = (now - before for now, before in zip(machine_cpu(), self.machine_before))
        busy = 1 - idle / max(total, 1e-9)
        return (f"{graded} gradings in {wall:.0f} s: {rate:.1f} submissions/min at {per_submission:.1f} CPU s per submission, "
                f"{rate / bound:.0%} of the CPU bound ({self.cores} cores x 60 / {per_submission:.1f} = {bound:.1f}/min); "
                f"up to {peak} at once; all the machine's work kept its CPUs {busy:.0%} busy")
