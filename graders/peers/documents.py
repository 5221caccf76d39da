"""The documents a web server under test serves, laid out fresh for every run.

Each run gets ``<run>/www`` as the server's working directory (the fixture
files plus a generated 10 MB file and one small document per client of the
crowd check) and ``<run>/secret.txt`` beside it, outside the document root,
which no request may ever reveal.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from graders import REPO

WWW = REPO / "fixtures" / "www"
BIG_FILE = "big.bin"
BIG_SIZE = 10 * 1024 * 1024 + 17  # 10 MB and a few bytes, so no power of two hides a bug
SECRET = b"netlab secret: this file is outside the document root\n"
CLIENT_DOCUMENTS = tuple(f"client-{k:02}.txt" for k in range(1, 61))  # a plain name of its own for each client of a crowd


@functools.cache  # the web server's and the proxy's origin's: made once a grading (36 ms)
def big_file_bytes() -> bytes:
    """Deterministic pseudo-random bytes: binary, every byte value, the same every run."""
    return random.Random(6789).randbytes(BIG_SIZE)


@dataclass(frozen=True)
class DocumentRoot:
    path: Path
    secret: Path

    def read(self, name: str) -> bytes:
        return (self.path / name).read_bytes()


def build_template(into: Path) -> Path:
    """The documents once per session: copies for each run are hard links where possible."""
    template = into / "www"
    shutil.copytree(WWW, template)
    (template / BIG_FILE).write_bytes(big_file_bytes())
    for name in CLIENT_DOCUMENTS:
        (template / name).write_bytes(f"{name}: the document of one client of the crowd\n".encode())
    return template


def lay_out(template: Path, run_dir: Path) -> DocumentRoot:
    root = run_dir / "www"
    shutil.copytree(template, root, copy_function=_link_or_copy)
    secret = run_dir / "secret.txt"
    secret.write_bytes(SECRET)
    return DocumentRoot(root, secret)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
