"""Sending the outbox over SMTP, each message once: `mail.yaml` records what the server took.

`peerkit outbox` writes the messages and out/outbox/outbox.json, the list of this run's
messages; `send_outbox` sends those whose Message-ID `mail.yaml` does not hold yet, and
records each one the moment the server accepts it (one appended line, fsync'd), so a
re-run sends nothing twice and a dropped connection or Ctrl-C resumes with what is left.
A message the server did not accept is never recorded. The password is a parameter: it
never comes from, or goes into, the program folder.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peerkit.model import Folder, Location, Mail, Problem
from peerkit.outbox import MANIFEST, OUT_DIR
from peerkit.validate import is_email

STATE_FILE = "mail.yaml"
STATE_HEADER = (
    b"# Written by `peerkit send`: each message the SMTP server accepted, by Message-ID,\n"
    b"# with when and to whom. `peerkit send` never sends a message listed here again;\n"
    b"# delete a line to send that message once more.\n"
)
_LINE = re.compile(r"^- (\{.*\})\s*$")
TIMEOUT = 60.0  # seconds a server may take to answer
Progress = Callable[[int, int], None]  # (messages done, messages to send)


@dataclass(frozen=True)
class Outgoing:
    """One message of the outbox, as its .eml file says."""

    message_id: str
    file: str  # relative to the program folder
    sender: str  # the envelope sender (From's address)
    to: tuple[str, ...]
    purpose: str
    data: bytes = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "file": self.file,
            "to": list(self.to),
            "purpose": self.purpose,
        }


@dataclass
class SendResult:
    sent: list[Outgoing] = field(default_factory=list)
    already: int = 0  # in mail.yaml before this run
    left: list[Outgoing] = field(default_factory=list)  # not sent: --limit, --dry-run, a failure
    refused: list[tuple[Outgoing, str]] = field(default_factory=list)  # (message, why)
    problems: list[Problem] = field(default_factory=list)
    failure: str = ""  # why sending stopped (the server, the login, the connection)
    hint: str = ""
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failure and not self.refused and not self.problems


# --- mail.yaml ------------------------------------------------------------------------


def read_sent(root: Path) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """mail.yaml: what was sent, by Message-ID; a last line cut off by a crash is ignored."""
    path = root / STATE_FILE
    if not path.is_file():
        return {}, []
    sent: dict[str, dict[str, str]] = {}
    problems = []
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _LINE.match(line)
        try:
            item = json.loads(found.group(1)) if found else None
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            if number - 1 == last and not path.read_bytes().endswith(b"\n"):
                continue  # torn by a crash mid-write: that message was not recorded
            problems.append(
                Problem(
                    Location(STATE_FILE, number, 1),
                    "mail-state",
                    "this line is not a record `peerkit send` wrote",
                    'each line is - {"id": "<message id>", "at": "...", "to": "..."}; '
                    "delete the line to send that message again",
                )
            )
            continue
        sent[item["id"]] = {str(k): str(v) for k, v in item.items()}
    return sent, problems


def record_line(message: Outgoing, at: dt.datetime) -> bytes:
    item = {"id": message.message_id, "at": at.isoformat(), "to": ", ".join(message.to)}
    return f"- {json.dumps(item, ensure_ascii=False)}\n".encode()


# --- what to send ---------------------------------------------------------------------


def outgoing(folder: Folder) -> tuple[list[Outgoing], list[Problem]]:
    """The messages out/outbox/outbox.json lists, read from their .eml files."""
    from email.parser import BytesHeaderParser
    from email.policy import compat32
    from email.utils import getaddresses, parseaddr

    root = folder.root
    manifest = root / MANIFEST
    if not manifest.is_file():
        return [], [
            Problem(
                Location(MANIFEST),
                "no-outbox",
                f"there is no outbox: {MANIFEST} is missing",
                "run `peerkit outbox` first, and review the messages in out/outbox/",
            )
        ]
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["messages"]
    except (ValueError, KeyError, TypeError):
        return [], [
            Problem(
                Location(MANIFEST),
                "no-outbox",
                f"{MANIFEST} is damaged",
                "run `peerkit outbox` again",
            )
        ]
    messages, problems = [], []
    # the headers as text (compat32): only addresses, the Message-ID and the purpose are
    # read, and the default policy's header objects took 1 ms a message
    parser = BytesHeaderParser(policy=compat32)
    for item in listed:
        file = str(item.get("file", ""))
        path = root / file
        if not file.startswith(f"{OUT_DIR}/") or not path.is_file():
            problems.append(
                Problem(
                    Location(file or MANIFEST),
                    "no-outbox",
                    f"{file}: the message is missing from the outbox",
                    "run `peerkit outbox` again",
                )
            )
            continue
        data = path.read_bytes()
        headers = parser.parsebytes(_head(data))
        message_id = str(headers.get("Message-ID", "")).strip()
        sender = parseaddr(str(headers.get("From", "")))[1]
        to = tuple(addr for _, addr in getaddresses([str(v) for v in headers.get_all("To", [])]))
        if not message_id or not sender:
            problems.append(
                Problem(
                    Location(file),
                    "mail-header",
                    f"{file}: the message has no {'Message-ID' if not message_id else 'From'}",
                    "run `peerkit outbox` again instead of editing the headers",
                )
            )
            continue
        messages.append(
            Outgoing(
                message_id=message_id,
                file=file,
                sender=sender,
                to=to,
                purpose=str(headers.get("X-Peerkit-Purpose", item.get("purpose", ""))),
                data=data,
            )
        )
    return messages, problems


def _head(message: bytes) -> bytes:
    """A message's header lines, up to the blank line before its body (read to its end,
    the body would be parsed as well)."""
    ends = [at for at in (message.find(b"\r\n\r\n"), message.find(b"\n\n")) if at >= 0]
    return message[: min(ends) + 2] if ends else message


def chosen(message: Outgoing, pattern: str | None) -> bool:
    """`--only PATTERN`: a glob on the file (under out/outbox/), an address or the purpose."""
    if pattern is None:
        return True
    names = [message.file.removeprefix(f"{OUT_DIR}/"), message.file, message.purpose, *message.to]
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names)


# --- sending --------------------------------------------------------------------------


def _connect(host: str, port: int, security: str, context: ssl.SSLContext) -> smtplib.SMTP:
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    server = smtplib.SMTP(host, port, timeout=TIMEOUT)
    if security == "starttls":
        server.ehlo()
        server.starttls(context=context)
        server.ehlo()
    return server


def send_outbox(
    folder: Folder,
    *,
    password: str | None = None,
    dry_run: bool = False,
    only: str | None = None,
    limit: int | None = None,
    per_minute: float | None = None,
    ssl_context: ssl.SSLContext | None = None,
    progress: Progress | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send what the outbox holds and mail.yaml does not, recording each acceptance."""
    mail = folder.program.mail
    result = SendResult(dry_run=dry_run)
    todo = _to_send(folder, only, limit, result)
    if result.problems:
        return result
    if dry_run or not todo:
        result.left = todo + result.left
        return result
    if not mail.host:
        result.problems.append(_no_server(folder))
        result.left = todo + result.left
        return result
    where = f"{mail.host}:{mail.server_port}"
    try:
        server = _open(mail, password, ssl_context or ssl.create_default_context())
    except (OSError, smtplib.SMTPException) as exc:
        result.failure, result.hint = _not_connected(exc, where, mail.user)
        result.left = todo + result.left
        return result
    now = clock or (lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    sender = _Sender(folder, server, result, where, now, 60.0 / per_minute if per_minute else 0.0)
    position = 0  # todo[position:] is not sent (yet)
    try:
        for position, message in enumerate(todo):
            if progress is not None:
                progress(position, len(todo))
            sender.pace(sleep)
            if not sender.send(message):
                break
        else:
            position = len(todo)
        if progress is not None:
            progress(len(todo), len(todo))
    finally:
        result.left = todo[position:] + result.left
        _close(server)
    return result


def _to_send(
    folder: Folder, only: str | None, limit: int | None, result: SendResult
) -> list[Outgoing]:
    """The outbox's messages not sent yet that `--only` picks, at most `limit` of them
    (the rest go to `result.left`); what was sent before is counted in `result.already`."""
    sent, problems = read_sent(folder.root)
    result.problems.extend(problems)
    messages, problems = outgoing(folder)
    result.problems.extend(problems)
    if result.problems:
        return []
    todo = []
    for message in messages:
        if message.message_id in sent:
            result.already += 1
        elif chosen(message, only):
            todo.append(message)
    if limit is not None:
        result.left = todo[limit:]
        todo = todo[:limit]
    return todo


def _no_server(folder: Folder) -> Problem:
    return Problem(
        folder.program.source_of("mail.smtp"),
        "mail-smtp",
        "there is no SMTP server to send through",
        "add `mail: {smtp: smtp.example.org:587, security: starttls, user: ...}`",
    )


def _open(mail: Mail, password: str | None, context: ssl.SSLContext) -> smtplib.SMTP:
    """A connection to the program's SMTP server, logged in when it has a user."""
    server = _connect(mail.host, mail.server_port, mail.security, context)
    try:
        if mail.user:
            server.login(mail.user, password or "")
    except BaseException:
        _close(server)
        raise
    return server


def _not_connected(exc: BaseException, where: str, user: str) -> tuple[str, str]:
    """Why no connection (or no login) came about, and what to do: (failure, hint)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"{where} refused the login of '{user}': {_said(exc)}",
            "check mail.user and PEERKIT_SMTP_PASSWORD (nothing was sent)",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (
            f"{where} does not offer STARTTLS or login",
            "try `security: ssl` (port 465), or ask the mail provider for the settings",
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"no secure connection to {where}: {exc.reason or exc}",
            "check mail.security (starttls on 587, ssl on 465) and the server's name",
        )
    return (
        f"cannot reach the SMTP server {where}: {_said(exc)}",
        "check mail.smtp (host:port) and the network; nothing was sent",
    )


def _close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


@dataclass
class _Sender:
    """Sends one message at a time over an open connection, recording each acceptance."""

    folder: Folder
    server: smtplib.SMTP
    result: SendResult
    where: str  # host:port, for messages
    now: Callable[[], dt.datetime]
    gap: float  # seconds between two messages (--per-minute), 0 for none
    last: float = 0.0  # time.monotonic() when the last message went

    def pace(self, sleep: Callable[[float], None]) -> None:
        """Wait until the next message may go."""
        if self.gap and self.last:
            wait = self.gap - (time.monotonic() - self.last)
            if wait > 0:
                sleep(wait)

    def send(self, message: Outgoing) -> bool:
        """Send one message and record it if the server took it; False when sending must
        stop (the server refused the sender, or the connection is lost)."""
        from peerkit.write import append_record

        result = self.result
        bad = [addr for addr in message.to if not is_email(addr)]
        if bad or not message.to:
            result.refused.append((message, f"not an email address: {', '.join(bad) or '(none)'}"))
            return True
        self.last = time.monotonic()
        try:
            refused = self.server.sendmail(message.sender, list(message.to), message.data)
        except smtplib.SMTPRecipientsRefused as exc:
            why = "; ".join(f"{addr}: {_said(err)}" for addr, err in exc.recipients.items())
            result.refused.append((message, why))
            return True
        except smtplib.SMTPDataError as exc:
            result.refused.append((message, _said(exc)))
            return True
        except smtplib.SMTPSenderRefused as exc:
            result.failure = f"{self.where} refused the sender {message.sender}: {_said(exc)}"
            result.hint = "check mail.from: the server must allow sending as that address"
            return False
        except (OSError, smtplib.SMTPException) as exc:
            result.failure = (
                f"the connection to {self.where} was lost after {len(result.sent)} message(s): "
                f"{_said(exc)}"
            )
            result.hint = "run `peerkit send` again: it sends only what is left"
            return False
        if refused:  # some recipients of a message to several were refused
            why = "; ".join(f"{addr}: {_said(err)}" for addr, err in refused.items())
            result.refused.append((message, why))
        append_record(self.folder.root, STATE_FILE, STATE_HEADER, record_line(message, self.now()))
        result.sent.append(message)
        return True


def _said(exc: BaseException | tuple[int, bytes]) -> str:
    """What the server said (`535 5.7.8 bad credentials`), or the connection's error."""
    if isinstance(exc, tuple):
        code, text = exc
        return f"{code} {text.decode('utf-8', 'replace')}"
    smtp_code = getattr(exc, "smtp_code", None)
    smtp_text = getattr(exc, "smtp_error", None)
    if smtp_code is not None and isinstance(smtp_text, bytes):
        return f"{smtp_code} {smtp_text.decode('utf-8', 'replace')}"
    return str(exc) or exc.__class__.__name__


def summary(result: SendResult) -> dict[str, object]:
    """What `--format json` prints."""
    return {
        "sent": [m.as_dict() for m in result.sent],
        "already_sent": result.already,
        "left": [m.as_dict() for m in result.left],
        "refused": [m.as_dict() | {"why": why} for m, why in result.refused],
        "failure": result.failure,
        "dry_run": result.dry_run,
    }
