"""`peerkit send`: the outbox to a real SMTP server (aiosmtpd, in-process), each message once."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import icalendar
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from peerkit.check import check_folder
from peerkit.model import Folder
from peerkit.send import STATE_FILE, read_sent, send_outbox
from tests.conftest import run

BEFORE_KICKOFF = "2027-01-05"
MESSAGES = 36  # one introduction per member of the sample's seven teams
USER, PASSWORD = "renata", "s3cret-pass"


@dataclass
class Inbox:
    """What the test server received; it can refuse addresses and drop the connection."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    drop_after: int | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            server.transport.close()  # the line goes dead before the server says 250
            return "421 gone"
        data = envelope.original_content
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), data))
        return "250 2.0.0 accepted"

    def message_ids(self) -> list[str]:
        return [str(parse(data)["Message-ID"]) for _, _, data in self.received]


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # the server answers 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    inbox: Inbox
    port: int
    client_context: ssl.SSLContext | None = None


@pytest.fixture(scope="module")
def tls() -> tuple[trustme.CA, ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return ca, server_context, client_context


def start(inbox: Inbox, *, tls_context: ssl.SSLContext | None = None) -> Controller:
    kwargs: dict[str, Any] = {"authenticator": _authenticate, "auth_require_tls": False}
    if tls_context is not None:
        kwargs |= {"tls_context": tls_context, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[Server]:
    inbox = Inbox()
    controller = start(inbox)
    yield Server(inbox, controller.port)
    controller.stop()


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def configure(root: Path, port: int, security: str = "none", user: str = USER) -> None:
    path = root / "program.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + f"\nmail:\n  smtp: 127.0.0.1:{port}\n  security: {security}\n  user: {user}\n",
        encoding="utf-8",
    )


def loaded(root: Path) -> Folder:
    folder, problems = check_folder(root)
    assert folder is not None, problems
    return folder


@pytest.fixture
def outbox(sample: Path, server: Server) -> Path:
    configure(sample, server.port)
    result = run("outbox", sample, "--now", BEFORE_KICKOFF)
    assert result.exit_code == 0, result.output
    return sample


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERKIT_SMTP_PASSWORD", PASSWORD)


def eml_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / "out" / "outbox").rglob("*.eml")}


# --- every message once -----------------------------------------------------------------


@pytest.mark.usefixtures("password")
def test_every_message_arrives_once_as_written(outbox: Path, server: Server) -> None:
    result = run("send", outbox)
    assert result.exit_code == 0, result.output
    assert "36 sent, 0 left, 0 sent before, 0 refused" in result.output
    inbox = server.inbox
    assert len(inbox.received) == MESSAGES
    assert len(set(inbox.message_ids())) == MESSAGES
    files = {parse(data)["Message-ID"]: data for data in eml_files(outbox).values()}
    folder = loaded(outbox)
    for sender, recipients, data in inbox.received:
        assert sender == "renata@highdesert-alliance.org"
        message = parse(data)
        assert data == files[message["Message-ID"]]  # byte for byte what the outbox holds
        assert recipients == [message["To"].addresses[0].addr_spec]
        member = next(m for m in folder.members if m.email == recipients[0])
        text = message.get_body(("plain",)).get_content()
        assert f"Dear {member.name}," in text
        assert "<p>Dear" in message.get_body(("html",)).get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        calendar = icalendar.Calendar.from_ical(attachment.get_content())
        assert calendar["METHOD"] == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert f"mailto:{member.email}" in [str(a) for a in event.get("ATTENDEE")]
        assert str(event["ORGANIZER"]) == "mailto:renata@highdesert-alliance.org"
    sent, problems = read_sent(outbox)
    assert problems == []
    assert set(sent) == set(files)
    # again: nothing is sent twice
    again = run("send", outbox)
    assert again.exit_code == 0, again.output
    assert "0 sent, 0 left, 36 sent before" in again.output
    assert len(inbox.received) == MESSAGES
    # the password is nowhere in the folder
    for path in outbox.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes()


def test_starttls_with_a_certificate_the_test_made(
    sample: Path,
    tls: tuple[trustme.CA, ssl.SSLContext, ssl.SSLContext],
    password: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, server_context, client_context = tls
    inbox = Inbox()
    controller = start(inbox, tls_context=server_context)
    try:
        configure(sample, controller.port, "starttls")
        assert run("outbox", sample, "--now", BEFORE_KICKOFF).exit_code == 0
        # an untrusted certificate: refused, nothing sent, nothing recorded
        untrusted = run("send", sample)
        assert untrusted.exit_code == 1
        assert "no secure connection to 127.0.0.1" in untrusted.output
        assert not (sample / STATE_FILE).exists()
        # the library takes the context that trusts the test's CA
        made = send_outbox(loaded(sample), password=PASSWORD, ssl_context=client_context)
        assert made.ok, made.failure
        assert len(made.sent) == MESSAGES
        # and so does the command, through the usual SSL_CERT_FILE
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        again = run("send", sample)
        assert again.exit_code == 0, again.output
        assert "36 sent before" in again.output
    finally:
        controller.stop()
    assert len(inbox.received) == MESSAGES
    assert len(set(inbox.message_ids())) == MESSAGES


# --- failures: nothing unsent is marked sent ------------------------------------------


@pytest.mark.usefixtures("password")
def test_a_dropped_connection_resumes_without_duplicates(outbox: Path, server: Server) -> None:
    server.inbox.drop_after = 10
    first = run("send", outbox)
    assert first.exit_code == 1
    assert "was lost after 10 message(s)" in first.output
    assert "run `peerkit send` again" in first.output
    sent, _ = read_sent(outbox)
    assert len(sent) == 10
    assert set(sent) == set(server.inbox.message_ids())
    server.inbox.drop_after = None
    second = run("send", outbox)
    assert second.exit_code == 0, second.output
    assert "26 sent, 0 left, 10 sent before" in second.output
    ids = server.inbox.message_ids()
    assert len(ids) == MESSAGES
    assert len(set(ids)) == MESSAGES


def test_ctrl_c_halfway_resumes_with_what_is_left(outbox: Path, server: Server) -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        send_outbox(loaded(outbox), password=PASSWORD, progress=interrupt)
    assert len(read_sent(outbox)[0]) == 5
    rest = send_outbox(loaded(outbox), password=PASSWORD)
    assert rest.ok
    assert (len(rest.sent), rest.already) == (31, 5)
    assert len(set(server.inbox.message_ids())) == len(server.inbox.received) == MESSAGES


def test_a_torn_last_record_is_not_a_sent_message(outbox: Path, server: Server) -> None:
    made = send_outbox(loaded(outbox), password=PASSWORD, limit=3)
    assert len(made.sent) == 3
    state = outbox / STATE_FILE
    state.write_bytes(state.read_bytes()[:-20])  # a crash in the middle of the last line
    sent, problems = read_sent(outbox)
    assert (len(sent), problems) == (2, [])
    rest = send_outbox(loaded(outbox), password=PASSWORD)
    assert len(rest.sent) == MESSAGES - 2
    assert len(read_sent(outbox)[0]) == MESSAGES
    assert len(server.inbox.received) == MESSAGES + 1  # the torn one was sent again, once


def test_a_wrong_password_sends_nothing(
    outbox: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERKIT_SMTP_PASSWORD", "wrong")
    result = run("send", outbox)
    assert result.exit_code == 1
    assert f"refused the login of '{USER}'" in result.output
    assert "535" in result.output
    assert server.inbox.received == []
    assert not (outbox / STATE_FILE).exists()


def test_no_password_off_a_terminal_is_a_clear_error(
    outbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERKIT_SMTP_PASSWORD", raising=False)
    result = run("send", outbox)
    assert result.exit_code == 1
    assert "PEERKIT_SMTP_PASSWORD is not set" in result.output


@pytest.mark.usefixtures("password")
def test_a_refused_recipient_is_named_and_not_marked_sent(outbox: Path, server: Server) -> None:
    server.inbox.refuse = {"ana@ruizlandscaping.example.com"}
    result = run("send", outbox)
    assert result.exit_code == 1
    assert "refused: ana@ruizlandscaping.example.com" in result.output
    assert "550 5.1.1 no such mailbox here" in result.output
    sent, _ = read_sent(outbox)
    assert len(sent) == MESSAGES - 1
    assert all(v["to"] != "ana@ruizlandscaping.example.com" for v in sent.values())
    server.inbox.refuse = set()
    again = run("send", outbox)
    assert again.exit_code == 0, again.output
    assert "1 sent, 0 left, 35 sent before" in again.output


@pytest.mark.usefixtures("password")
def test_an_unreachable_server_is_a_clear_error(sample: Path) -> None:
    configure(sample, free_port())
    assert run("outbox", sample, "--now", BEFORE_KICKOFF).exit_code == 0
    result = run("send", sample)
    assert result.exit_code == 1
    assert "cannot reach the SMTP server 127.0.0.1:" in result.output
    assert not (sample / STATE_FILE).exists()


def test_no_outbox_yet_says_run_outbox(sample: Path) -> None:
    result = run("send", sample)
    assert result.exit_code == 1
    assert "there is no outbox" in result.output
    assert "run `peerkit outbox` first" in result.output


# --- options ----------------------------------------------------------------------------


def test_dry_run_only_limit(outbox: Path, server: Server, password: None) -> None:
    dry = run("send", outbox, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    assert len(json.loads(dry.stdout)["left"]) == MESSAGES
    assert server.inbox.received == []
    assert not (outbox / STATE_FILE).exists()
    only = run("send", outbox, "--only", "introduction/2027/match-01/*")
    assert only.exit_code == 0, only.output
    assert len(server.inbox.received) == 5
    by_address = run("send", outbox, "--only", "ana@ruizlandscaping.example.com")
    assert by_address.exit_code == 0
    assert len(server.inbox.received) == 6
    limited = run("send", outbox, "--limit", "4", "--format", "json")
    assert limited.exit_code == 0
    data = json.loads(limited.stdout)
    assert (len(data["sent"]), len(data["left"]), data["already_sent"]) == (4, 26, 6)
    assert len(server.inbox.received) == 10


def test_per_minute_spaces_the_messages(
    outbox: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """120 a minute: half a second from one message to the next, on a clock that only
    moves when send sleeps (so a slow machine cannot change the waits)."""
    import peerkit.send

    now = [1000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(peerkit.send.time, "monotonic", lambda: now[0])
    made = send_outbox(loaded(outbox), password=PASSWORD, per_minute=120, limit=4, sleep=sleep)
    assert len(made.sent) == 4
    assert waits == [0.5, 0.5, 0.5]


def test_mail_yaml_records_when_and_to_whom(outbox: Path, server: Server) -> None:
    moment = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)
    send_outbox(loaded(outbox), password=PASSWORD, limit=1, clock=lambda: moment)
    lines = (outbox / STATE_FILE).read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1].removeprefix("- "))
    assert record["at"] == "2027-01-05T09:30:00+00:00"
    assert record["to"] == server.inbox.received[0][1][0]
    assert record["id"] == server.inbox.message_ids()[0]


@pytest.mark.parametrize(
    ("mail", "message"),
    [
        ("  smtp: mail.example.org:99999\n", "mail.smtp: 'mail.example.org:99999' is not a server"),
        ("  security: tls\n", "mail.security: 'tls' is not one of the choices"),
        ("  from: not-an-address\n", "mail.from: 'not-an-address' is not an email address"),
        ("  password: hunter2\n", "a password never belongs in the program folder"),
        ("  smpt: x:1\n", "unknown key 'mail.smpt'"),
    ],
)
def test_mail_settings_are_checked_with_their_line(sample: Path, mail: str, message: str) -> None:
    path = sample / "program.yaml"
    text = path.read_text(encoding="utf-8") + "\nmail:\n" + mail
    path.write_text(text, encoding="utf-8")
    result = run("check", sample)
    assert result.exit_code == 1
    assert f"program.yaml:{len(text.splitlines())}:" in result.output
    assert message in result.output
