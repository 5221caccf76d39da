"""One attachment of a big message, found by its boundaries rather than by parsing every line.

The email package reads a message a line at a time: a 7 MB message (a 5 MB attachment in
base64) takes it 0.2 s, twice a grading. Where a message is plainly multipart with the
attachment in base64, its part is found by the boundary and decoded at once; anything less
plain gets ``None``, and the caller asks the email package, which judges it as before.

A part is found by its file's name, the last component of its filename: a client that names a part
by the path it was given (``filename=/tmp/.../big.bin``) still sent the file, and the filename's own
check alone judges the path.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from email import policy
from email.parser import BytesHeaderParser
from pathlib import PureWindowsPath

BLANK = re.compile(rb"\r?\n\r?\n")  # the end of a head


def file_name(filename: str | None) -> str | None:
    """A part's filename without any directory: what follows its last `/` or `\\` (RFC 2183 2.3: a
    receiver takes the filename as a terminal component only)."""
    return None if filename is None else PureWindowsPath(filename).name


def attached(content: bytes, filename: str) -> bytes | None:
    """The decoded body of the part attached as ``filename`` (its file's name), or None where it is
    not plainly there."""
    top_head, top_body = _split(content)
    boundary = _headers(top_head).get_boundary()
    if not boundary:
        return None
    for chunk in _parts(b"\n" + top_body, b"\n--" + boundary.encode("ascii", "replace")):
        head, body = _split(chunk)
        headers = _headers(head)
        if file_name(headers.get_filename()) == filename and str(headers.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
            try:
                return base64.b64decode(body)
            except (binascii.Error, ValueError):
                return None
    return None


def _parts(body: bytes, delimiter: bytes) -> list[bytes]:
    """What lies between the delimiter lines (bytes.find: a regex over 7 MB costs 0.1 s)."""
    starts = []
    at = body.find(delimiter)
    while at >= 0:
        starts.append(at)
        at = body.find(delimiter, at + len(delimiter))
    parts = []
    for begin, end in itertools.pairwise(starts):
        line_end = body.find(b"\n", begin + len(delimiter))
        if line_end < 0 or line_end > end:
            return []
        parts.append(body[line_end + 1 : end].removesuffix(b"\r"))
    return parts


def _split(message: bytes) -> tuple[bytes, bytes]:
    end = BLANK.search(message)
    return (message, b"") if end is None else (message[: end.end()], message[end.end() :])


def _headers(head: bytes):  # type: ignore[no-untyped-def]
    return BytesHeaderParser(policy=policy.default).parsebytes(head)
