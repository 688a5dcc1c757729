"""Real SMTP servers on loopback for delivery tests (aiosmtpd), including ones that fail.

``SmtpRecorder`` is an aiosmtpd handler that keeps every accepted message (envelope and
bytes) and can be scripted to answer RCPT or DATA with an error: per address (``rcpt``:
a reply, or a list consumed one per attempt) or for the next DATA commands (``data``).
``smtp_server`` starts it plain; ``tls_server`` requires STARTTLS and AUTH with a
self-signed certificate made at test time by the ``openssl`` command line.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "brief", "s3cret pass"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpRecorder:
    messages: list[Received] = field(default_factory=list)
    rcpt: dict[str, str | list[str]] = field(default_factory=dict)
    data: list[str] = field(default_factory=list)
    # Not "auth_*": aiosmtpd would advertise such a handler attribute as an AUTH mechanism.
    login_attempts: int = 0
    ehlos: int = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        reply = self.rcpt.get(address)
        if isinstance(reply, list):
            reply = reply.pop(0) if reply else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data:
            return self.data.pop(0)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.login_attempts += 1
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

    def delivered_to(self, rcpt: str) -> list[Received]:
        return [m for m in self.messages if rcpt in m.rcpt_tos]


@dataclass
class Server:
    recorder: SmtpRecorder
    port: int
    cert: Path | None = None


def _start(recorder: SmtpRecorder, **kwargs: Any) -> tuple[Controller, int]:
    for _ in range(5):  # the free port can be taken between the probe and the bind
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True, **kwargs)
        try:
            controller.start()
        except RuntimeError:
            continue
        return controller, port
    raise RuntimeError("no free port for the SMTP server")


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    """A plain SMTP server on loopback (no TLS, no auth) that records what it accepts."""
    recorder = SmtpRecorder()
    controller, port = _start(recorder)
    try:
        yield Server(recorder, port)
    finally:
        controller.stop()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1, made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Server]:
    """An SMTP server that requires STARTTLS and then AUTH (user ``brief``)."""
    cert, key = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = SmtpRecorder()
    controller, port = _start(recorder, tls_context=context, require_starttls=True, auth_required=True,
                              auth_require_tls=True, authenticator=recorder.authenticator)
    try:
        yield Server(recorder, port, cert)
    finally:
        controller.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never greets: every client times out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])
