"""mime_parts.attached: the 5 MB checks' quick way to an attachment agrees with the email package,
and gives up (None, so the email package judges) wherever a message is not plainly multipart base64."""

from __future__ import annotations

import email
import email.policy
import random
from email.message import EmailMessage

import pytest

from graders.peers.mime_parts import attached, file_name

DATA = random.Random(7).randbytes(300_000)


def message(*names: str, cte: str = "base64") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@netlab.test", "b@netlab.test", "files"
    mail.set_content("the body")
    for name in names:
        mail.add_attachment(DATA if name.endswith(".bin") else b"some text\n", maintype="application", subtype="octet-stream",
                            filename=name, cte=cte)
    return mail


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"], ids=["crlf", "bare lf"])
def test_it_finds_the_part_the_email_package_finds(line_end: bytes) -> None:
    raw = message("a.txt", "big.bin", "z.txt").as_bytes(policy=email.policy.SMTP).replace(b"\r\n", line_end)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    part = next(p for p in parsed.iter_attachments() if p.get_filename() == "big.bin")  # type: ignore[attr-defined]
    assert attached(raw, "big.bin") == part.get_payload(decode=True) == DATA


def test_base64_in_one_long_line_is_found_too() -> None:
    raw = message("big.bin").as_bytes(policy=email.policy.SMTP)
    head, _, rest = raw.partition(b'filename="big.bin"\r\n\r\n')
    encoded, _, tail = rest.partition(b"\r\n\r\n--")
    one_line = head + b'filename="big.bin"\r\n\r\n' + encoded.replace(b"\r\n", b"") + b"\r\n\r\n--" + tail
    assert attached(one_line, "big.bin") == DATA


@pytest.mark.parametrize("path", ["/tmp/pytest-7/attachments0/big.bin", "C:\\Users\\alice\\big.bin", "attachments/big.bin"])
def test_a_part_named_by_a_path_is_found_by_its_file_name(path: str) -> None:
    raw = message(path).as_bytes(policy=email.policy.SMTP)
    assert attached(raw, "big.bin") == DATA


@pytest.mark.parametrize(("filename", "name"), [("big.bin", "big.bin"), ("/tmp/a b/big.bin", "big.bin"), ("C:\\x\\PHOTO.JPG", "PHOTO.JPG"),
                                                (None, None)])
def test_file_name_is_the_last_component_after_either_separator(filename: str | None, name: str | None) -> None:
    assert file_name(filename) == name


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: no parts\r\n\r\nhello\r\n",
        message("big.bin", cte="quoted-printable").as_bytes(policy=email.policy.SMTP),
        message("other.bin").as_bytes(policy=email.policy.SMTP),
    ],
    ids=["not multipart", "not base64", "no such file"],
)
def test_anything_less_plain_is_left_to_the_email_package(raw: bytes) -> None:
    assert attached(raw, "big.bin") is None
