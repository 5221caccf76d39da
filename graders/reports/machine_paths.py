"""The grading machine's own paths, kept out of what a student is given (results.json, and the
report.html made from it): where the submission was put, the harness's temporary files, the
netlab checkout, the Python that ran it, the home directory. A message keeps what it says
about the submission (``proxy.py`` not found in ``smithjohn_12345``) and loses where the
machine keeps things; pytest-xdist's header line (``[gw0] linux -- Python 3.11.7 /path``) goes.
"""

from __future__ import annotations

import getpass
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from graders import REPO

XDIST_HEADER = re.compile(r"^\[gw\d+\] \S+ -- Python \S+ .*(\n|$)", re.MULTILINE)
WHOLE_NAME = r"(?![\w.-])"  # a path ends where a name cannot go on


def pytest_temporaries(basetemp: Path | None) -> Path:
    """Where pytest puts the temporary directories of its runs: ``--basetemp``, or its default root."""
    if basetemp is not None:
        return basetemp
    return Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"


@dataclass(frozen=True)
class MachinePaths:
    """Each private path and what a student reads in its place, longest first."""

    shown_as: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, submission: Path, basetemp: Path | None = None) -> MachinePaths:
        named = {
            submission: submission.name,
            pytest_temporaries(basetemp): "tmp",
            REPO: "netlab",
            Path(sys.prefix): "python",
            Path.home(): "~",
        }
        spellings = {str(spelling): shown for path, shown in named.items() for spelling in {path, path.resolve()}}
        kept = [(path, shown) for path, shown in spellings.items() if len(Path(path).parts) > 1]  # a home of / is no prefix
        return cls(tuple(sorted(kept, key=lambda pair: -len(pair[0]))))

    def scrub(self, text: str) -> str:
        """``text`` without the machine's paths; the rest as it was (``/usr`` goes, ``/usrdata`` stays)."""
        text = XDIST_HEADER.sub("", text)
        for path, shown in self.shown_as:
            text = re.sub(re.escape(path) + WHOLE_NAME, shown.replace("\\", "\\\\"), text)  # the name as it is
        return text
