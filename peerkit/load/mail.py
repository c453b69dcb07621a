"""program.yaml's `mail:`: the sender, the SMTP server, its security and the reminders."""

from __future__ import annotations

import datetime as dt
import re

from peerkit.load.reader import Reader
from peerkit.model import MAIL_SECURITY, Mail
from peerkit.source import Node
from peerkit.validate import is_email

SMTP_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$")


def load_mail(reader: Reader, node: Node | None) -> Mail:
    """`mail:` — the sender, the SMTP server (host:port), security, user, and `remind`."""
    from email.utils import parseaddr

    known = ("from", "smtp", "security", "user", "remind", "password")
    entries = reader.mapping(node, "mail", known)
    if "password" in entries:
        reader.report(
            entries["password"].loc,
            "mail-password",
            "mail.password: a password never belongs in the program folder (it is in git)",
            "remove it; `peerkit send` reads PEERKIT_SMTP_PASSWORD or asks for it",
        )
    sender = reader.text(entries.get("from"), "mail.from")
    if sender and not is_email(parseaddr(sender)[1]):
        reader.report(
            entries["from"].loc,
            "email",
            f"mail.from: '{sender[:80]}' is not an email address",
            "write it like coordinator@example.org or 'Renata Oyelaran <renata@example.org>'",
        )
        sender = ""
    host, port = "", 0
    smtp = reader.text(entries.get("smtp"), "mail.smtp")
    if smtp:
        found = SMTP_RE.match(smtp)
        number = int(found.group(2)) if found and found.group(2) else 0
        if found is None or not 0 <= number <= 65535 or found.group(2) == "0":
            reader.report(
                entries["smtp"].loc,
                "mail-smtp",
                f"mail.smtp: '{smtp[:80]}' is not a server as host:port",
                "write e.g. smtp.example.org:587 (587 for starttls, 465 for ssl)",
            )
        else:
            host, port = found.group(1).strip("[]"), number
    security = reader.choice(entries.get("security"), "mail.security", MAIL_SECURITY, "starttls")
    remind = reader.duration(entries.get("remind"), "mail.remind", dt.timedelta(days=2))
    if remind is not None and remind > dt.timedelta(days=60):
        reader.report(
            entries["remind"].loc,
            "range",
            f"mail.remind: {entries['remind'].value} before a meeting is more than 60 days",
            "write e.g. 2d, or 0 for no reminders",
        )
        remind = dt.timedelta(days=2)
    return Mail(
        sender=sender,
        host=host,
        port=port,
        security=security,
        user=reader.text(entries.get("user"), "mail.user"),
        remind=remind if remind else None,
    )
