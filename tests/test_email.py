"""Email delivery against real SMTP servers on loopback: sent once, readable, never lost."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from email import message_from_bytes, message_from_string, policy
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder
from smtpserver import PASSWORD, USER, Server, free_port, silent_port, smtp_server, tls_server  # noqa: F401

from briefgen.cli import main
from briefgen.config import load_settings
from briefgen.models import Brief
from briefgen.store import Store

try:
    import browser
except ImportError:  # pragma: no cover
    from tests import browser  # type: ignore[no-redef]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DAY = "2026-11-26"
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def write_config(tmp_path: Path, port: int, *, to: list[str] | None = None, cc: list[str] | None = None,
                 bcc: list[str] | None = None, sources: list[str] | None = None, **smtp: object) -> Path:
    values: dict[str, object] = {
        "host": "127.0.0.1", "port": port, "security": "none", "from": "Brief Büro <brief@example.org>",
        "to": ["Reader One <reader@example.org>"] if to is None else to, "cc": cc or [], "bcc": bcc or [],
        "attempts": 3, "retry_wait_s": 0.01, "retry_max_wait_s": 0.05, "timeout_s": 5,
    }
    values.update(smtp)
    lines = ['title = "Morning brief"', f"sources = {json.dumps(sources or [str(SEEDS)])}", "", "[smtp]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = tmp_path / "briefgen.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def send(config: Path, fake_llm: FakeOpenAI, *args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, ["send", "--config", str(config), "--base-url", fake_llm.base_url,
                                     "--date", DAY, "-q", *args], catch_exceptions=False, env=env)


def headlines(fake_llm: FakeOpenAI) -> list[str]:
    """The shown headlines of the same brief, built again (from the LLM cache) as JSON."""
    result = CliRunner().invoke(main, ["build", str(SEEDS), "--base-url", fake_llm.base_url, "--format", "json",
                                       "--title", "Morning brief", "-q"], catch_exceptions=False)
    brief = Brief.model_validate_json(result.stdout)
    return [s.headline for s in brief.shown_stories]


def flat(text: str) -> str:
    return " ".join(text.split())


def sends_log() -> list[dict[str, object]]:
    settings, _ = load_settings({}, None)
    with Store(settings.state_file()) as store:
        return store.sends()


# ---- the message ----------------------------------------------------------------------
def test_send_delivers_a_parseable_multipart_with_every_headline(
    fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port, cc=["Cé Cee <cc@example.org>"], bcc=["hidden@example.org"],
                       list_unsubscribe="mailto:unsubscribe@example.org")
    result = send(cfg, fake_llm)
    assert result.exit_code == 0, result.output + result.stderr
    [got] = smtp_server.recorder.messages  # one SMTP transaction for all three recipients
    assert sorted(got.rcpt_tos) == ["cc@example.org", "hidden@example.org", "reader@example.org"]
    assert got.mail_from == "brief@example.org"

    msg = message_from_bytes(got.data, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "Morning brief — Thursday, 26 November 2026"
    assert msg["From"].addresses[0].display_name == "Brief Büro"
    assert msg["To"].addresses[0].addr_spec == "reader@example.org"
    assert msg["Cc"].addresses[0].display_name == "Cé Cee"
    assert msg["Bcc"] is None and b"hidden@example.org" not in got.data
    assert msg["Date"].datetime is not None and re.fullmatch(r"<[^@>]+@example\.org>", msg["Message-ID"])
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe@example.org>"
    assert all(b < 128 for b in got.data)  # 7-bit on the wire: UTF-8 is encoded, not raw

    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script" not in html.lower()
    shown = headlines(fake_llm)
    assert len(shown) >= 3
    for headline in shown:
        assert flat(headline) in flat(text), headline
        assert flat(headline) in flat(htmllib.unescape(re.sub(r"<[^>]+>", " ", html))), headline

    # The message was stored before it was sent, and the send is logged per recipient.
    path = Path(re.search(r"stored (\S+\.eml)", result.stderr).group(1))  # type: ignore[union-attr]
    assert path.is_file() and path.parent.name == DAY
    assert message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"] == msg["Message-ID"]
    assert {(r["recipient"], r["outcome"]) for r in sends_log()} == {
        ("reader@example.org", "sent"), ("cc@example.org", "sent"), ("hidden@example.org", "sent")}


def test_running_again_sends_nothing_and_builds_nothing(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port)
    assert send(cfg, fake_llm).exit_code == 0
    llm_calls = len(fake_llm.requests)
    again = send(cfg, fake_llm)
    assert again.exit_code == 0, again.stderr
    assert "already sent: reader@example.org" in again.stdout and "nothing to send" in again.stderr
    assert len(smtp_server.recorder.messages) == 1
    assert len(fake_llm.requests) == llm_calls  # the stored message is reused, never rebuilt

    forced = send(cfg, fake_llm, "--force")
    assert forced.exit_code == 0 and len(smtp_server.recorder.messages) == 2
    first, second = (m.message["Message-ID"] for m in smtp_server.recorder.messages)
    assert first == second  # --force resends the same message, it does not build a second one


def test_a_new_recipient_gets_the_stored_message_and_only_they_do(
    fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    fake_llm.responder = notes_responder
    assert send(write_config(tmp_path, smtp_server.port), fake_llm).exit_code == 0
    cfg = write_config(tmp_path, smtp_server.port, to=["reader@example.org", "late@example.org"])
    result = send(cfg, fake_llm)
    assert result.exit_code == 0, result.stderr
    first, second = smtp_server.recorder.messages
    assert second.rcpt_tos == ["late@example.org"]
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_utf8_mailbox_is_sent_with_smtputf8(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port, to=["Jörg Müller <jörg@example.org>"])
    result = send(cfg, fake_llm)
    assert result.exit_code == 0, result.stdout + result.stderr
    [got] = smtp_server.recorder.messages
    assert got.rcpt_tos == ["jörg@example.org"]
    # An SMTPUTF8 message carries raw UTF-8 headers; the stdlib parser wants them as text.
    msg = message_from_string(got.data.decode("utf-8"), policy=policy.default)
    assert msg["To"].addresses[0].display_name == "Jörg Müller"
    assert msg["To"].addresses[0].addr_spec == "jörg@example.org"


def test_dry_run_writes_the_eml_and_sends_nothing(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port)
    result = send(cfg, fake_llm, "--dry-run", "--to", "other@example.org")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.suffix == ".eml" and path.is_file()
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "other@example.org"
    assert "would send to other@example.org" in result.stderr
    assert smtp_server.recorder.messages == [] and sends_log() == []
    # A dry run stores nothing in the outbox: the real send builds its own message.
    assert send(cfg, fake_llm).exit_code == 0 and len(smtp_server.recorder.messages) == 1


# ---- failures -------------------------------------------------------------------------
def test_after_a_failed_send_the_brief_is_on_disk_and_a_later_run_delivers_it_once(
    fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    fake_llm.responder = notes_responder
    down = write_config(tmp_path, free_port(), attempts=2)  # nobody listens: connection refused
    failed = send(down, fake_llm)
    assert failed.exit_code == 1
    assert "not sent: reader@example.org" in failed.stdout and "connection refused" in failed.stdout
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in failed.stderr
    kept = Path(re.search(r"kept at (\S+\.eml)", errors[0]).group(1))  # type: ignore[union-attr]
    assert kept.is_file()
    assert [r["outcome"] for r in sends_log()] == ["deferred", "deferred"]  # both attempts logged

    up = write_config(tmp_path, smtp_server.port)
    llm_calls = len(fake_llm.requests)
    later = send(up, fake_llm)
    assert later.exit_code == 0, later.stderr
    assert f"stored message reused: {kept}" in later.stderr and len(fake_llm.requests) == llm_calls
    assert send(up, fake_llm).exit_code == 0
    [got] = smtp_server.recorder.messages  # exactly once
    assert got.data.replace(b"\r\n", b"\n") == kept.read_bytes().replace(b"\r\n", b"\n")


def test_a_4xx_is_retried_within_the_run(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    smtp_server.recorder.data = ["451 4.3.0 Try again later"]
    result = send(write_config(tmp_path, smtp_server.port), fake_llm)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(smtp_server.recorder.messages) == 1
    assert [(r["outcome"], r["detail"]) for r in sends_log()] == [
        ("deferred", "451 4.3.0 Try again later"), ("sent", "")]


def test_a_server_that_never_answers_times_out_and_is_retried(
    fake_llm: FakeOpenAI, silent_port: int, tmp_path: Path
) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, silent_port, timeout_s=0.3, attempts=2)
    started = time.monotonic()
    result = send(cfg, fake_llm)
    assert result.exit_code == 1 and "timed out" in result.stdout
    assert time.monotonic() - started < 10
    assert [r["outcome"] for r in sends_log()] == ["deferred", "deferred"]


def test_recipients_are_reported_one_by_one(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    smtp_server.recorder.rcpt = {"gone@example.org": "550 5.1.1 No such user",
                                 "busy@example.org": "450 4.2.1 Mailbox busy"}
    cfg = write_config(tmp_path, smtp_server.port, to=["reader@example.org", "gone@example.org"],
                       cc=["busy@example.org"], attempts=2)
    result = send(cfg, fake_llm)
    assert result.exit_code == 1
    assert "sent: reader@example.org" in result.stdout
    assert "not sent: gone@example.org: 550 5.1.1 No such user" in result.stdout
    assert "not sent: busy@example.org: 450 4.2.1 Mailbox busy" in result.stdout
    assert "not delivered to 2 of 3 recipient(s)" in result.stderr
    [got] = smtp_server.recorder.messages
    assert got.rcpt_tos == ["reader@example.org"]
    outcomes = [(r["recipient"], r["outcome"]) for r in sends_log()]
    assert outcomes.count(("busy@example.org", "deferred")) == 2  # 4xx retried
    assert outcomes.count(("gone@example.org", "refused")) == 1  # 5xx not retried

    # The mailbox frees up: a re-run delivers to busy only; gone is still refused.
    del smtp_server.recorder.rcpt["busy@example.org"]
    again = send(cfg, fake_llm)
    assert again.exit_code == 1 and "already sent: reader@example.org" in again.stdout
    assert "sent: busy@example.org" in again.stdout and smtp_server.recorder.messages[1].rcpt_tos == ["busy@example.org"]


def test_a_build_that_fails_is_mailed_as_a_one_line_notice(
    fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, smtp_server.port, sources=[str(tmp_path / "missing.txt")],
                       notify=["ops@example.org"])
    result = send(cfg, fake_llm)
    assert result.exit_code == 1 and "missing.txt" in result.stderr
    [notice] = smtp_server.recorder.messages
    assert notice.rcpt_tos == ["ops@example.org"]
    assert notice.message["Subject"] == "briefgen: Morning brief of 2026-11-26 could not be built"
    body = notice.message.get_content()
    assert "missing.txt" in body and len(body.strip().splitlines()) == 1
    assert sends_log() == []  # nothing in the outbox: nothing was built


# ---- STARTTLS, AUTH and the password ----------------------------------------------------
def tls_config(tmp_path: Path, server: Server, **smtp: object) -> Path:
    return write_config(tmp_path, server.port, security="starttls", user=USER, ca_file=str(server.cert), **smtp)


def test_starttls_and_auth_with_a_0600_password_file(fake_llm: FakeOpenAI, tls_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    secret = tmp_path / "smtp.env"
    secret.write_text(f"BRIEFGEN_SMTP_PASSWORD='{PASSWORD}'\n")
    secret.chmod(0o644)
    cfg = tls_config(tmp_path, tls_server, password_file=str(secret))
    loose = send(cfg, fake_llm)
    assert loose.exit_code == 1 and "chmod 600" in loose.stderr and tls_server.recorder.login_attempts == 0
    secret.chmod(0o600)
    result = send(cfg, fake_llm)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(tls_server.recorder.messages) == 1 and tls_server.recorder.login_attempts == 1


def test_password_from_the_environment(fake_llm: FakeOpenAI, tls_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    result = send(tls_config(tmp_path, tls_server), fake_llm, env={"BRIEFGEN_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(tls_server.recorder.messages) == 1


def test_a_wrong_password_is_permanent_and_not_retried(fake_llm: FakeOpenAI, tls_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    result = send(tls_config(tmp_path, tls_server, attempts=4), fake_llm, env={"BRIEFGEN_SMTP_PASSWORD": "wrong"})
    assert result.exit_code == 1 and "535" in result.stdout
    # One connection (EHLO before and after STARTTLS); smtplib tries each offered mechanism once.
    assert tls_server.recorder.ehlos == 2 and tls_server.recorder.messages == []
    assert 1 <= tls_server.recorder.login_attempts <= 2
    assert [r["outcome"] for r in sends_log()] == ["failed"]


def test_an_untrusted_certificate_is_refused(fake_llm: FakeOpenAI, tls_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, tls_server.port, security="starttls", user=USER)  # no ca_file
    result = send(cfg, fake_llm, env={"BRIEFGEN_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 1 and "TLS" in result.stdout and "CERTIFICATE_VERIFY_FAILED" in result.stdout
    assert tls_server.recorder.login_attempts == 0


def test_config_errors_are_one_line(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 25, to=[])
    result = send(cfg, fake_llm)
    assert result.exit_code == 1 and "error: no recipients" in result.stderr
    bad = write_config(tmp_path, 25, to=["not an address"])
    assert "not an email address" in send(bad, fake_llm).stderr
    cfg.write_text(cfg.read_text() + 'password = "x"\n')
    result = send(cfg, fake_llm)
    assert result.exit_code == 1 and "no SMTP password in the config file" in result.stderr


# ---- the run lock -----------------------------------------------------------------------
def test_a_second_run_waits_for_nobody_it_exits(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from briefgen.publish.schedule import run_lock\n"
         "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(30)",
         os.environ["BRIEFGEN_HOME"]], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = send(write_config(tmp_path, smtp_server.port), fake_llm)
        assert result.exit_code == 1
        assert f"error: another briefgen run is in progress (pid {holder.pid})" in result.stderr
        assert smtp_server.recorder.messages == [] and fake_llm.requests == []
    finally:
        holder.kill()
        holder.wait()
    fake_llm.responder = notes_responder
    assert send(write_config(tmp_path, smtp_server.port), fake_llm).exit_code == 0  # the lock died with it


# ---- the HTML part in a real browser ------------------------------------------------------
@pytest.mark.browser
@pytest.mark.skipif(not browser.chromium_available(), reason=f"{browser.CHROMIUM} is not installed (apt-get install chromium)")
def test_the_sent_html_fits_phone_and_desktop(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    assert send(write_config(tmp_path, smtp_server.port), fake_llm).exit_code == 0
    [got] = smtp_server.recorder.messages
    html = got.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    with browser.Browser() as chrome:
        for width in (375, 800):
            m = chrome.load(page, width=width)
            assert m.client_width == width
            assert not m.overflows and m.wide == [], f"{width}px: scrollWidth {m.scroll_width}: {m.wide}"
            assert m.scripts == 0
            png = chrome.screenshot()
            (SCREENSHOT_DIR / f"email-{width}.png").write_bytes(png)
            info = browser.read_png(png)
            assert info.colors > 50 and info.ink_share > 0.02, info
            (SCREENSHOT_DIR / f"email-{width}-full.png").write_bytes(chrome.screenshot(full_page=True))


def test_date_defaults_to_today(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port)
    result = CliRunner().invoke(main, ["send", "--config", str(cfg), "--base-url", fake_llm.base_url, "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert smtp_server.recorder.messages[0].message["Subject"].endswith(f"{date.today():%B %Y}")
