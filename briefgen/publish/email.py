"""Email delivery: build the message, keep it in the outbox, send it once per recipient.

The order is what makes a morning email "sent once, never lost":

1. The idempotency key is (brief name, brief date, recipient). When the outbox already holds
   the message of (name, date), it is *not* rebuilt: a re-run resends those exact bytes (same
   Message-ID) to whoever has no ``sent`` row in the sends log.
2. A new message is written to ``<data>/outbox/<date>/<name>.eml`` (atomically) and recorded
   in SQLite *before* the first SMTP connection, so a failed send leaves it on disk.
3. Transient failures (connection refused, timeout, a dropped connection, any 4xx) are
   retried with exponential backoff (tenacity, bounded); permanent ones (5xx, TLS, auth) are
   not. Recipients are reported one by one: ``sendmail`` tells which were refused.

Every attempt to every recipient is logged in the ``sends`` table. ``force`` resends the
stored message deliberately; ``rebuild`` replaces it with a freshly built one.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email import errors, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from briefgen.publish.archive import slug
from briefgen.publish.history import record_published
from briefgen.config import EmailSettings, Settings, write_atomic
from briefgen.errors import BriefgenError, DeliveryError
from briefgen.models import Brief
from briefgen.store import Store

log = logging.getLogger(__name__)

PASSWORD_ENV = "BRIEFGEN_SMTP_PASSWORD"


@dataclass
class DeliveryReport:
    """What one ``send`` did, recipient by recipient."""

    brief_name: str
    brief_date: date
    message_id: str
    path: Path
    built: bool = False  # this run built and stored the message (else: the stored one was reused)
    brief: Brief | None = None
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # got it on an earlier run; skipped
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> one-line reason
    dry_run: bool = False
    pending: list[str] = field(default_factory=list)  # dry run: who would get it

    @property
    def ok(self) -> bool:
        return not self.failed


class _Deferred(Exception):
    """Some recipients got a 4xx at RCPT: retry the transaction for them."""


# ---- addresses and the message ------------------------------------------------------------
def parse_addresses(values: list[str], what: str) -> list[Address]:
    """Parse "Name <addr>" strings (commas allowed inside one value) into Addresses, or raise."""
    out: list[Address] = []
    for value in values:
        header = policy.SMTPUTF8.header_factory("To", value)
        # A non-ASCII local part is fine: such messages go out with SMTPUTF8.
        defects = [d for d in header.defects if not isinstance(d, errors.NonASCIILocalPartDefect)]
        if defects or not header.addresses:  # type: ignore[attr-defined]
            raise DeliveryError(f"{what}: not an email address: {value!r}")
        for addr in header.addresses:  # type: ignore[attr-defined]
            if not addr.username or not addr.domain:
                raise DeliveryError(f"{what}: not an email address: {value!r}")
            out.append(addr)
    return out


@dataclass
class Recipients:
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]

    def envelope(self) -> list[str]:
        """Every address the message goes to, Bcc included, each once (case-insensitive)."""
        seen: dict[str, str] = {}
        for addr in self.to + self.cc + self.bcc:
            seen.setdefault(addr.addr_spec.casefold(), addr.addr_spec)
        return list(seen.values())


def recipients_for(smtp: EmailSettings, to: list[str] | None = None) -> Recipients:
    """The recipients from settings; ``to`` (the --to flag) replaces to, cc and bcc."""
    if to:
        rcpts = Recipients(parse_addresses(to, "--to"), [], [])
    else:
        rcpts = Recipients(parse_addresses(smtp.to, "smtp.to"), parse_addresses(smtp.cc, "smtp.cc"),
                           parse_addresses(smtp.bcc, "smtp.bcc"))
    if not rcpts.envelope():
        raise DeliveryError("no recipients: set `to` in the [smtp] table of the config file or pass --to")
    return rcpts


def sender_for(smtp: EmailSettings) -> Address:
    """The From address, or a one-line error saying where to set it."""
    if not smtp.sender:
        raise DeliveryError("no sender: set `from` in the [smtp] table of the config file (or BRIEFGEN_SMTP_FROM)")
    return parse_addresses([smtp.sender], "smtp.from")[0]


def _needs_smtputf8(addresses: list[Address]) -> bool:
    return any(not a.addr_spec.isascii() for a in addresses)


def subject_for(brief: Brief) -> str:
    """The subject line: the brief's title and its date, spelled out."""
    return f"{brief.title} — {brief.date:%A}, {brief.date.day} {brief.date:%B %Y}"


def build_message(brief: Brief, settings: Settings, recipients: Recipients) -> EmailMessage:
    """The multipart/alternative email of a brief: plain text first, email-safe HTML second."""
    from briefgen.publish.render import render  # jinja is only needed when a message is really built

    smtp = settings.smtp
    sender = sender_for(smtp)
    options = {"templates_dir": settings.templates_dir, "max_key_points": settings.max_key_points,
               "show_unverified": settings.unverified == "mark"}
    text = render(brief, "txt", **options)  # type: ignore[arg-type]
    html = render(brief, "html", email=True, **options)  # type: ignore[arg-type]
    everyone = [sender, *recipients.to, *recipients.cc, *recipients.bcc]
    msg = EmailMessage(policy=policy.SMTPUTF8 if _needs_smtputf8(everyone) else policy.SMTP)
    msg["Subject"] = subject_for(brief)
    msg["From"] = sender
    if recipients.to:
        msg["To"] = recipients.to
    else:
        msg["To"] = "undisclosed-recipients:;"  # only Bcc: the header must still be valid
    if recipients.cc:
        msg["Cc"] = recipients.cc
    # Bcc is never a header: those addresses live in the SMTP envelope only.
    msg["Date"] = format_datetime(datetime.now(timezone.utc).astimezone())
    msg["Message-ID"] = make_msgid("briefgen", domain=sender.domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a daily brief
    if smtp.list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{smtp.list_unsubscribe.strip('<>')}>"
    # Quoted-printable keeps every line 7-bit and short, whatever the server's 8BITMIME support.
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def outbox_path(settings: Settings, brief_name: str, brief_date: date, *, dry_run: bool = False) -> Path:
    """Where the message of one brief is kept: ``<data>/outbox/<date>/<name>.eml``."""
    suffix = ".dry-run.eml" if dry_run else ".eml"
    return settings.data_dir() / "outbox" / brief_date.isoformat() / (slug(brief_name) + suffix)


# ---- SMTP -------------------------------------------------------------------------------
def smtp_password(smtp: EmailSettings, env: dict[str, str] | None = None) -> str | None:
    """The SMTP password: env BRIEFGEN_SMTP_PASSWORD, else the 0600 env file named in config."""
    env = dict(os.environ) if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    path = smtp.password_file
    if path is None:
        return None
    try:
        info = path.stat()
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise DeliveryError(f"{path}: password file must not be readable by others (chmod 600 {path})")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DeliveryError(f"{path}: cannot read password file: {exc.strerror or exc}") from exc
    for line in lines:
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip() == PASSWORD_ENV:
            return value.strip().strip("'\"")
    raise DeliveryError(f"{path}: no {PASSWORD_ENV}=... line in the password file")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _connect(smtp: EmailSettings, password: str | None) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    host, port = smtp.host, smtp.port_value()
    conn: smtplib.SMTP
    if smtp.security == "ssl":
        conn = smtplib.SMTP_SSL(host, port, timeout=smtp.timeout_s, context=context)
    else:
        conn = smtplib.SMTP(host, port, timeout=smtp.timeout_s)
    try:
        conn.ehlo()
        if smtp.security == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if smtp.user:
            if password is None:
                raise DeliveryError(f"smtp.user is set but no password: set {PASSWORD_ENV} or smtp.password_file")
            conn.login(smtp.user, password)
    except BaseException:
        conn.close()
        raise
    return conn


def classify(exc: BaseException) -> tuple[bool, str]:
    """(transient?, one-line reason) of an SMTP failure: 4xx and network trouble are transient."""
    if isinstance(exc, _Deferred):
        return True, str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):  # auth, sender, data, connect, helo errors
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return 400 <= exc.smtp_code < 500, f"{exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, f"server closed the connection ({exc})" if str(exc) else "server closed the connection"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False, f"server does not support it: {exc}"
    if isinstance(exc, ssl.SSLError):  # before OSError: it is one, but a bad certificate will not heal
        return False, f"TLS: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return True, "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return True, "connection refused"
    if isinstance(exc, OSError):
        return True, exc.strerror or str(exc)
    return False, str(exc) or type(exc).__name__


def _retrying(smtp: EmailSettings) -> Retrying:
    return Retrying(
        stop=stop_after_attempt(smtp.attempts),
        wait=wait_exponential(multiplier=smtp.retry_wait_s, max=smtp.retry_max_wait_s),
        retry=retry_if_exception(lambda e: classify(e)[0]),
        before_sleep=lambda rs: log.warning(
            "smtp %s:%s: %s; retrying (attempt %d of %d)", smtp.host, smtp.port_value(),
            classify(exc)[1] if rs.outcome and (exc := rs.outcome.exception()) else "?", rs.attempt_number + 1, smtp.attempts),
        reraise=True,
    )


def send_bytes(
    smtp: EmailSettings,
    data: bytes,
    sender: str,
    recipients: list[str],
    *,
    password: str | None,
    utf8: bool = False,
    on_result: Callable[[str, str, str], None] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Send one stored message to recipients, with retries; return (sent, {failed: reason}).

    ``on_result(recipient, outcome, detail)`` is called for every attempt's outcome per
    recipient (sent, deferred, refused, failed), so the caller can log each one as it happens.
    """
    report = on_result or (lambda r, o, d: None)
    if smtp.user and smtp.security == "none" and not _is_loopback(smtp.host):
        raise DeliveryError(f"refusing to send the SMTP password unencrypted to {smtp.host} (security = none)")
    pending = list(recipients)
    sent: list[str] = []
    failed: dict[str, str] = {}

    def transaction() -> None:
        nonlocal pending
        try:
            conn = _connect(smtp, password)
            try:
                try:
                    refused = conn.sendmail(sender, pending, data, mail_options=["SMTPUTF8"] if utf8 else [])
                except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
                    refused = exc.recipients
            finally:
                try:
                    conn.quit()
                except (smtplib.SMTPException, OSError):  # the message is already handed over
                    conn.close()
        except DeliveryError:
            raise
        except Exception as exc:
            transient, reason = classify(exc)
            for rcpt in pending:
                report(rcpt, "deferred" if transient else "failed", reason)
            raise
        deferred: list[str] = []
        for rcpt in pending:
            if rcpt not in refused:
                sent.append(rcpt)
                failed.pop(rcpt, None)
                report(rcpt, "sent", "")
                continue
            code, text = refused[rcpt]
            failed[rcpt] = f"{code} {' '.join(text.decode('utf-8', 'replace').split())}"
            if 400 <= code < 500:
                deferred.append(rcpt)
            report(rcpt, "deferred" if 400 <= code < 500 else "refused", failed[rcpt])
        pending = deferred
        if deferred:
            raise _Deferred(f"{len(deferred)} recipient(s) deferred: {failed[deferred[0]]}")

    try:
        for attempt in _retrying(smtp):
            with attempt:
                transaction()
    except DeliveryError:
        raise
    except Exception as exc:
        if not isinstance(exc, _Deferred):  # a deferred recipient keeps its own RCPT reply
            reason = f"{smtp.host}:{smtp.port_value()}: {classify(exc)[1]}"
            failed.update({rcpt: reason for rcpt in pending})
    return sent, failed


# ---- the send command -------------------------------------------------------------------
def send_brief(
    settings: Settings,
    build: Callable[[], Brief],
    *,
    brief_date: date | None = None,
    to: list[str] | None = None,
    force: bool = False,
    rebuild: bool = False,
    dry_run: bool = False,
    env: dict[str, str] | None = None,
) -> DeliveryReport:
    """Email the brief of ``brief_date`` (built by ``build()`` only when the outbox lacks it)."""
    smtp = settings.smtp
    name, day = settings.title, brief_date or date.today()
    sender = sender_for(smtp)
    recipients = recipients_for(smtp, to)
    with Store(settings.state_file()) as store:
        stored = None if rebuild else store.outbox_get(name, day)
        if stored is not None and not Path(stored["path"]).is_file():
            raise DeliveryError(f"{stored['path']}: the stored message of {name!r} {day} is missing; "
                                "use --rebuild to build and send a new one")
        report = DeliveryReport(name, day, stored["message_id"] if stored else "", Path(stored["path"]) if stored else
                                outbox_path(settings, name, day, dry_run=dry_run), dry_run=dry_run)
        if stored is None:
            report.brief = build_or_notify(settings, build, day, env=env)
            msg = build_message(report.brief, settings, recipients)
            report.message_id, report.built = str(msg["Message-ID"]), True
            write_atomic(report.path, msg.as_bytes())
            if not dry_run:
                store.outbox_put(name, day, message_id=report.message_id, path=str(report.path),
                                 recipients=recipients.envelope())
                # Published = in the outbox: what "since last" goes by.
                record_published(report.brief, settings)
        done = set() if (force or rebuild) else store.delivered_to(name, day)
        pending = [r for r in recipients.envelope() if r.casefold() not in done]
        report.already = [r for r in recipients.envelope() if r.casefold() in done]
        if dry_run:
            report.pending = pending
            return report
        if not pending:
            return report
        data = report.path.read_bytes()

        def on_result(rcpt: str, outcome: str, detail: str) -> None:
            store.log_send(name, day, rcpt, report.message_id, outcome, detail)

        everyone = [sender, *recipients.to, *recipients.cc, *recipients.bcc]
        report.sent, report.failed = send_bytes(
            smtp, data, sender.addr_spec, pending, password=smtp_password(smtp, env),
            utf8=_needs_smtputf8(everyone), on_result=on_result)
    return report


def build_or_notify(settings: Settings, build: Callable[[], Brief], day: date,
                    env: dict[str, str] | None = None) -> Brief:
    """Build the brief; when that fails, mail a one-line notice to ``smtp.notify`` and re-raise."""
    try:
        return build()
    except BriefgenError as exc:
        if settings.smtp.notify:
            try:
                send_notice(settings, f"briefgen: {settings.title} of {day} could not be built",
                            f"briefgen: the brief {settings.title!r} of {day} could not be built: {exc}", env=env)
            except BriefgenError as notice_exc:  # the build error is the one to report
                log.warning("failure notice not sent: %s", notice_exc)
        raise


def send_notice(settings: Settings, subject: str, line: str, *, env: dict[str, str] | None = None) -> list[str]:
    """Mail a one-line plain-text notice to ``smtp.notify``; return who got it."""
    smtp = settings.smtp
    sender = sender_for(smtp)
    rcpts = parse_addresses(smtp.notify, "smtp.notify")
    msg = EmailMessage(policy=policy.SMTPUTF8 if _needs_smtputf8([sender, *rcpts]) else policy.SMTP)
    msg["Subject"] = subject
    msg["From"], msg["To"] = sender, rcpts
    msg["Date"] = format_datetime(datetime.now(timezone.utc).astimezone())
    msg["Message-ID"] = make_msgid("briefgen-notice", domain=sender.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(line + "\n", charset="utf-8", cte="quoted-printable")
    sent, failed = send_bytes(smtp, msg.as_bytes(), sender.addr_spec, [a.addr_spec for a in rcpts],
                              password=smtp_password(smtp, env), utf8=_needs_smtputf8([sender, *rcpts]))
    if failed:
        raise DeliveryError("notice not delivered to " + ", ".join(f"{r} ({why})" for r, why in failed.items()))
    return sent
