"""An outbox message as the bytes the email package writes, laid out here.

Every message of the outbox has one shape: its headers, a text and an HTML part
(multipart/alternative) and, when files are attached, multipart/mixed around them.
Building each as an EmailMessage and writing it (set_content, as_bytes) took most of a
large outbox's time, the generator writing each line on its own. Here the headers are
still the email package's (its policy parses and folds each one), the text parts are
quoted-printable by its own encoder and the files base64 as it encodes them; only the
layout (boundaries, blank lines, CRLF) is written here, as its generator writes it.
A test holds the bytes equal to the email package's for random texts, names and files.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.policy import EmailPolicy

# Multipart boundaries are fixed, not random: the same input gives the same bytes. No part
# can hold one: quoted-printable writes `=` as `=3D` and base64 has neither `=_` nor `-`.
ALTERNATIVE = "=_peerkit_alternative"
MIXED = "=_peerkit_mixed"
MAX_LINE = 78  # the SMTP policy's max_line_length: quoted-printable and base64 lines
_BASE64_LINE = MAX_LINE // 4 * 4  # characters a base64 line holds: 57 bytes' worth
_LINE_END = re.compile(r"\r\n|\r|\n")  # how the generator splits what it writes in lines


def header_lines(policy: EmailPolicy, headers: Iterable[tuple[str, str]]) -> bytes:
    """Each `(name, value)` as the policy stores and folds it, in order."""
    return b"".join(
        policy.fold_binary(*policy.header_store_parse(name, value)) for name, value in headers
    )


def message_bytes(
    policy: EmailPolicy,
    headers: Sequence[tuple[str, str]],
    text: str,
    html: str,
    files: Sequence[bytes],
) -> bytes:
    """The whole message: `headers` (MIME-Version and Content-Type are added), the text and
    HTML alternatives and the attached `files` (each made by `file_part`)."""
    alternative = _multipart(
        policy, "alternative", ALTERNATIVE, [_text("plain", text), _text("html", html)]
    )
    body = alternative if not files else _multipart(policy, "mixed", MIXED, [alternative, *files])
    return header_lines(policy, headers) + b"MIME-Version: 1.0\r\n" + body


def file_part(
    policy: EmailPolicy, name: str, kind: str, data: bytes, params: Mapping[str, str]
) -> bytes:
    """An attached file (`kind`: its MIME type), base64, with `params` on its Content-Type."""
    from email.message import EmailMessage

    maintype, subtype = kind.split("/")
    part = EmailMessage(policy=policy)
    # the headers alone: they do not depend on the data
    part.set_content(
        b"",
        maintype=maintype,
        subtype=subtype,
        disposition="attachment",
        filename=name,
        params=dict(params),
    )
    del part["MIME-Version"]
    # 57 bytes a line, as the email package encodes them: the whole encoded, then cut
    encoded = binascii.b2a_base64(data, newline=False)
    lines = [
        encoded[at : at + _BASE64_LINE] + b"\r\n" for at in range(0, len(encoded), _BASE64_LINE)
    ]
    return header_lines(policy, part.raw_items()) + b"\r\n" + b"".join(lines)


def _text(subtype: str, text: str) -> bytes:
    """A text part, quoted-printable (its lines ended with LF first, as set_content does)."""
    from email import quoprimime

    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    encoded = quoprimime.body_encode(body.decode("latin-1"), MAX_LINE)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _LINE_END.sub("\r\n", encoded)
    ).encode("ascii")


def _multipart(policy: EmailPolicy, subtype: str, boundary: str, parts: Sequence[bytes]) -> bytes:
    """A multipart part: its Content-Type, then each part after a boundary line."""
    head = header_lines(policy, [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')])
    between = f"\r\n--{boundary}\r\n".encode("ascii")
    return (
        head
        + f"\r\n--{boundary}\r\n".encode("ascii")
        + between.join(parts)
        + f"\r\n--{boundary}--\r\n".encode("ascii")
    )
