"""peerkit.mime writes an outbox message byte for byte as the email package writes it."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy
from email.policy import default as default_policy
from email.utils import formataddr

from hypothesis import given, settings
from hypothesis import strategies as st

from peerkit.mime import ALTERNATIVE, MIXED, Writer
from peerkit.outbox import _smtp_policy

File = tuple[str, str, bytes, dict[str, str]]


def by_email_package(
    policy: EmailPolicy, headers: list[tuple[str, str]], text: str, html: str, files: list[File]
) -> bytes:
    """The same message built as an EmailMessage and written by its generator."""
    message = EmailMessage(policy=policy)
    for name, value in headers:
        message[name] = value
    message.set_content(text, cte="quoted-printable")
    message.make_alternative(boundary=ALTERNATIVE)
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if files:
        message.make_mixed(boundary=MIXED)
    for name, kind, data, params in files:
        maintype, subtype = kind.split("/")
        part = EmailMessage(policy=policy)
        part.set_content(
            data,
            maintype=maintype,
            subtype=subtype,
            disposition="attachment",
            filename=name,
            params=dict(params),
        )
        message.attach(part)
    for part in message.walk():
        if part is not message and "MIME-Version" in part:
            del part["MIME-Version"]
    return message.as_bytes()


def by_peerkit(
    policy: EmailPolicy, headers: list[tuple[str, str]], text: str, html: str, files: list[File]
) -> bytes:
    return Writer(policy).message(headers, text, html, files)


# every character but lone surrogates (which no template gives), line ends of every kind
chars = st.characters(blacklist_categories=("Cs",))
bodies = st.lists(
    st.one_of(
        st.text(chars, max_size=120), st.sampled_from(["\n", "\r\n", "\r", "=", " \n", "\t"])
    ),
    max_size=12,
).map("".join)
one_line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=90)
files = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["match-01.ics", "handout.pdf"]),
            st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True),  # a plain name, any length
            one_line.filter(str.strip),
        ),
        st.sampled_from(["text/calendar", "application/pdf", "text/html"]),
        st.binary(max_size=400),
        st.sampled_from([{}, {"method": "REQUEST", "charset": "utf-8"}, {"method": "CANCEL"}]),
    ),
    max_size=3,
)


def headers_of(name: str, subject: str) -> list[tuple[str, str]]:
    return [
        ("From", "Ana Ruiz <ana@example.org>"),
        ("To", formataddr((name, "zoe@example.org"))),
        ("Subject", subject),
        ("Date", "Tue, 05 Jan 2027 09:00:00 +0100"),
        ("Message-ID", "<6f1c1e4a-58a5-5d5e-9a0b-0c2d3e4f5a6b@example.org>"),
        ("X-Peerkit-Purpose", "introduction"),
    ]


@settings(max_examples=300, deadline=None)
@given(one_line, one_line, bodies, bodies, files)
def test_the_bytes_are_the_email_packages(
    name: str, subject: str, text: str, html: str, attached: list[File]
) -> None:
    headers = headers_of(name, subject)
    for policy in (_smtp_policy(), SMTP):
        assert by_peerkit(policy, headers, text, html, attached) == by_email_package(
            policy, headers, text, html, attached
        )


def test_files_of_one_writer_are_each_their_own() -> None:
    """A writer remembers each file's part, a plain name's headers and the headers that
    repeat: each message gets its own names, data and headers, as if written alone."""
    writer = Writer(SMTP)
    params = {"method": "REQUEST", "charset": "utf-8"}
    for k in range(4):
        # a subject long enough to be folded, the same in every other message
        headers = headers_of(f"Ana {k}", f"Reminder: session {k % 2}, " + "a long title " * 6)
        files: list[File] = [
            (f"match-{k:02d}.ics", "text/calendar", f"BEGIN:VCALENDAR {k}".encode(), params),
            (f"Handout {k}.pdf", "application/pdf", bytes([k]) * 100, {}),
        ]
        made = writer.message(headers, "text", "<p>html</p>", files)
        assert made == by_email_package(SMTP, headers, "text", "<p>html</p>", files)
        assert f'filename="match-{k:02d}.ics"'.encode() in made


def test_a_message_reads_back_as_written() -> None:
    headers = headers_of("Zoë O'Brien, PhD", "Bienvenue : votre binôme — match-07")
    text = "Dear Zoë,\n\nline " + "x" * 100 + " = end\r\nlast line without an end"
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    data = by_peerkit(
        _smtp_policy(), headers, text, "<p>Zoë</p>", [("match-07.ics", "text/calendar", ics, {})]
    )
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["To"] == '"Zoë O\'Brien, PhD" <zoe@example.org>'
    assert message["Subject"] == "Bienvenue : votre binôme — match-07"
    plain = message.get_body(("plain",))
    assert plain is not None
    # (read from a file of CRLF lines, its lines end in CRLF)
    assert plain.get_content() == text.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
    (calendar,) = message.iter_attachments()
    assert calendar.get_filename() == "match-07.ics"
    assert calendar.get_payload(decode=True) == ics
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
