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


Attached = tuple[str, str, bytes, Mapping[str, str]]  # file name, MIME type, data, params
_OWN = frozenset({"To", "Message-ID"})  # headers no two messages share
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")  # a file name the headers hold as it is


class Writer:
    """Writes messages under one policy; an attached file's part is made once for all the
    messages that attach the same data, and a file's headers once per type, parameters
    and length of a plain name."""

    def __init__(self, policy: EmailPolicy) -> None:
        self.policy = policy
        self._parts: dict[
            tuple[str, str, int, tuple[tuple[str, str], ...]], tuple[bytes, bytes]
        ] = {}
        self._heads: dict[tuple[str, tuple[tuple[str, str], ...], int], bytes] = {}
        self._lines: dict[tuple[str, str], bytes] = {}  # a header that repeats, folded

    def message(
        self, headers: Sequence[tuple[str, str]], text: str, html: str, files: Sequence[Attached]
    ) -> bytes:
        """The whole message: `headers` (MIME-Version and Content-Type are added), the text
        and HTML alternatives and the attached `files`."""
        policy = self.policy
        alternative = _multipart(
            policy, "alternative", ALTERNATIVE, [_text("plain", text), _text("html", html)]
        )
        parts = [alternative, *(self._file(*file) for file in files)]
        body = alternative if not files else _multipart(policy, "mixed", MIXED, parts)
        return self._header_lines(headers) + b"MIME-Version: 1.0\r\n" + body

    def _header_lines(self, headers: Sequence[tuple[str, str]]) -> bytes:
        """`header_lines`; each header but the recipient and the message id is folded once
        for all the messages it is the same in (a long subject was parsed to be folded)."""
        lines = []
        for header in headers:
            if header[0] in _OWN:
                lines.append(header_lines(self.policy, [header]))
                continue
            line = self._lines.get(header)
            if line is None:
                line = self._lines[header] = header_lines(self.policy, [header])
            lines.append(line)
        return b"".join(lines)

    def _file(self, name: str, kind: str, data: bytes, params: Mapping[str, str]) -> bytes:
        """An attached file, base64, with `params` on its Content-Type."""
        key = (name, kind, id(data), tuple(params.items()))  # (the data kept: its id stays its)
        made = self._parts.get(key)
        if made is None or made[0] is not data:
            # 57 bytes a line, as the email package encodes them: the whole encoded, then cut
            encoded = binascii.b2a_base64(data, newline=False)
            lines = [
                encoded[at : at + _BASE64_LINE] + b"\r\n"
                for at in range(0, len(encoded), _BASE64_LINE)
            ]
            made = self._parts[key] = (
                data,
                self._file_headers(name, kind, params) + b"\r\n" + b"".join(lines),
            )
        return made[1]

    def _file_headers(self, name: str, kind: str, params: Mapping[str, str]) -> bytes:
        """The email package's headers of an attached file. Those of a plain name differ
        from those of another as long only by the name: they are made once, for a
        stand-in, and the name put in its place."""
        if not _PLAIN_NAME.fullmatch(name):
            return _file_headers(self.policy, name, kind, params)
        key = (kind, tuple(params.items()), len(name))
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = _file_headers(self.policy, "_" * len(name), kind, params)
        stand_in = b'filename="' + b"_" * len(name) + b'"'
        if head.count(stand_in) != 1:  # not as expected: made for the name itself
            return _file_headers(self.policy, name, kind, params)
        return head.replace(stand_in, b'filename="' + name.encode("ascii") + b'"')


def _file_headers(policy: EmailPolicy, name: str, kind: str, params: Mapping[str, str]) -> bytes:
    """An attached file's headers, as set_content makes them (they do not depend on the data)."""
    from email.message import EmailMessage

    maintype, subtype = kind.split("/")
    part = EmailMessage(policy=policy)
    part.set_content(
        b"",
        maintype=maintype,
        subtype=subtype,
        disposition="attachment",
        filename=name,
        params=dict(params),
    )
    del part["MIME-Version"]
    return header_lines(policy, part.raw_items())


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
