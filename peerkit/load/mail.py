"""program.yaml's `mail:`: the sender, the SMTP server, its security and the reminders."""

from __future__ import annotations

import datetime as dt
import re

from peerkit.load.reader import Reader
from peerkit.model import MAIL_SECURITY, Mail
from peerkit.source.node import Node
from peerkit.validate import is_email

SMTP_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$")


MAIL_KEYS = ("from", "smtp", "security", "user", "remind", "password")


def load_mail(reader: Reader, node: Node | None) -> Mail:
    """`mail:` — the sender, the SMTP server (host:port), security, user, and `remind`."""
    entries = reader.mapping(node, "mail", MAIL_KEYS)
    if "password" in entries:
        reader.report(
            entries["password"].loc,
            "mail-password",
            "mail.password: a password never belongs in the program folder (it is in git)",
            "remove it; `peerkit send` reads PEERKIT_SMTP_PASSWORD or asks for it",
        )
    sender = _sender(reader, entries.get("from"))
    host, port = _server(reader, entries.get("smtp"))
    security = reader.choice(entries.get("security"), "mail.security", MAIL_SECURITY, "starttls")
    remind = _remind(reader, entries.get("remind"))
    return Mail(
        sender=sender,
        host=host,
        port=port,
        security=security,
        user=reader.text(entries.get("user"), "mail.user"),
        remind=remind if remind else None,
    )


def _sender(reader: Reader, node: Node | None) -> str:
    """`from:` an address, bare or with a name (`Renata Oyelaran <renata@example.org>`)."""
    sender = reader.text(node, "mail.from")
    if node is None or not sender:
        return sender
    from email.utils import parseaddr  # (5 ms, and socket with it: not without a sender)

    if not is_email(parseaddr(sender)[1]):
        reader.report(
            node.loc,
            "email",
            f"mail.from: '{sender[:80]}' is not an email address",
            "write it like coordinator@example.org or 'Renata Oyelaran <renata@example.org>'",
        )
        return ""
    return sender


def _server(reader: Reader, node: Node | None) -> tuple[str, int]:
    """`smtp:` host:port (port 0 when not given); ("", 0) when there is none."""
    smtp = reader.text(node, "mail.smtp")
    if node is None or not smtp:
        return "", 0
    found = SMTP_RE.match(smtp)
    number = int(found.group(2)) if found and found.group(2) else 0
    if found is None or not 0 <= number <= 65535 or found.group(2) == "0":
        reader.report(
            node.loc,
            "mail-smtp",
            f"mail.smtp: '{smtp[:80]}' is not a server as host:port",
            "write e.g. smtp.example.org:587 (587 for starttls, 465 for ssl)",
        )
        return "", 0
    return found.group(1).strip("[]"), number


def _remind(reader: Reader, node: Node | None) -> dt.timedelta | None:
    """`remind:` how long before a meeting reminders go (2 days unless said; 0: none)."""
    remind = reader.duration(node, "mail.remind", dt.timedelta(days=2))
    if node is not None and remind is not None and remind > dt.timedelta(days=60):
        reader.report(
            node.loc,
            "range",
            f"mail.remind: {node.value} before a meeting is more than 60 days",
            "write e.g. 2d, or 0 for no reminders",
        )
        return dt.timedelta(days=2)
    return remind
