"""Scheduling: the crontab line, the real `crontab` of a throwaway user, the run lock."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder
from smtpserver import Server, smtp_server  # noqa: F401
from test_email import write_config

from briefgen.cli import main
from briefgen.errors import DeliveryError
from briefgen.publish.schedule import MARKER, cron_line, run_lock

UTC = (ZoneInfo("UTC"), "UTC")
NOVEMBER = date(2026, 11, 26)


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---- the line ---------------------------------------------------------------------------
def test_time_and_zone_are_converted_to_the_system_zone_with_a_dst_warning(tmp_path: Path) -> None:
    cfg, log = tmp_path / "briefgen.toml", tmp_path / "cron.log"
    berlin = cron_line("07:00", "Europe/Berlin", cfg, log, today=NOVEMBER, sys_zone=UTC)
    assert berlin.line.startswith("0 6 * * * ") and berlin.line.endswith(MARKER)
    assert any("05:00 from 2027-03-28" in w and "systemd timer" in w for w in berlin.warnings), berlin.warnings

    tokyo = cron_line("07:00", "Asia/Tokyo", cfg, log, today=NOVEMBER, sys_zone=UTC)  # no DST in either zone
    assert tokyo.line.startswith("0 22 * * * ") and not any("DST" in w for w in tokyo.warnings)

    local = cron_line("7:05", None, cfg, log, today=NOVEMBER, sys_zone=UTC)
    assert local.line.startswith("5 7 * * * ") and local.warnings == []

    # Two zones whose DST dates differ (US vs EU): the warning names the first day it shifts
    # (07:00 Berlin on 14 March is 06:00 UTC, still before New York changes at 07:00 UTC).
    ny = cron_line("07:00", "Europe/Berlin", cfg, log, today=date(2027, 3, 1),
                   sys_zone=(ZoneInfo("America/New_York"), "America/New_York"))
    assert ny.line.startswith("0 1 * * * ") and any("02:00 from 2027-03-15" in w for w in ny.warnings), ny.warnings


def test_the_command_runs_send_with_the_config_and_appends_to_the_log(tmp_path: Path) -> None:
    folder = tmp_path / "my 100% config"
    cfg = folder / "briefgen.toml"
    log = tmp_path / "data" / "logs" / "cron.log"
    line = cron_line("07:00", None, cfg, log, sys_zone=UTC, executable=["/opt/bg/bin/briefgen"],
                     env={"BRIEFGEN_HOME": "/srv/brief home"}).line
    assert "100\\%" in line and "100%" not in line.replace("\\%", "")  # cron would cut the line at %
    command = line.split(" ", 5)[5].removesuffix(MARKER).replace("\\%", "%")
    words = shlex.split(command)
    assert words[:3] == ["cd", str(folder), "&&"]
    assert "BRIEFGEN_HOME=/srv/brief home" in words
    assert words[words.index("/opt/bg/bin/briefgen"):][:4] == ["/opt/bg/bin/briefgen", "send", "--config", str(cfg)]
    assert words[-3:] == [">>", str(log), "2>&1"]


def test_bad_time_zone_or_missing_config_are_one_line_errors(tmp_path: Path) -> None:
    write_config(tmp_path, 25)
    cfg = str(tmp_path / "briefgen.toml")
    for args, message in [(["--at", "7am"], "expected HH:MM"), (["--at", "25:00"], "expected HH:MM"),
                          (["--at", "07:00", "--tz", "Mars/Olympus"], "unknown time zone")]:
        result = run("schedule", "--config", cfg, *args)
        assert result.exit_code == 1 and message in result.stderr, result.stderr
    os.remove(cfg)
    result = run("schedule", "--at", "07:00")
    assert result.exit_code == 1 and "no config file" in result.stderr
    assert run("schedule").exit_code == 2  # --at is required unless --remove


# ---- the real crontab -------------------------------------------------------------------
OTHER_LINES = """\
# my own jobs, by hand
MAILTO=someone@example.org
SHELL=/bin/bash
*/5 * * * * /usr/bin/backup --quiet   
30 2 * * 0 echo "weekly 50\\% done" > /dev/null
@reboot /usr/local/bin/start-something
"""


@pytest.fixture
def cron_user() -> Iterator[str]:
    """A throwaway system user whose crontab the test may edit (never root's)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates a throwaway user (useradd) and edits its crontab with crontab -u")
    if not shutil.which("useradd") or not shutil.which("crontab"):
        pytest.skip("needs useradd and crontab (Debian: apt-get install cron)")
    name = f"bgcron{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True,
                   capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-u", name, "-r"], capture_output=True)
        subprocess.run(["userdel", name], capture_output=True)


def crontab_of(user: str) -> str:
    result = subprocess.run(["crontab", "-u", user, "-l"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def test_install_keeps_every_other_line_and_remove_takes_only_ours(cron_user: str, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 25)
    subprocess.run(["crontab", "-u", cron_user, "-"], input=OTHER_LINES, text=True, check=True)
    before = crontab_of(cron_user)
    assert before == OTHER_LINES

    result = run("schedule", "--at", "07:00", "--tz", "Europe/Berlin", "--install", "--user", cron_user,
                 "--config", str(cfg))
    assert result.exit_code == 0, result.stderr
    after = crontab_of(cron_user)
    assert after.startswith(OTHER_LINES)  # every other line intact, byte for byte
    ours = after[len(OTHER_LINES):].splitlines()
    assert ours == [result.stdout.strip()]
    assert re.match(r"\d+ \d+ \* \* \* cd ", ours[0]) and f"send --config {cfg}" in ours[0]
    assert ours[0].endswith(MARKER) and "DST" in result.stderr

    # Installing again replaces our line; it never adds a second one.
    again = run("schedule", "--at", "08:30", "--install", "--user", cron_user, "--config", str(cfg))
    assert again.exit_code == 0, again.stderr
    lines = crontab_of(cron_user).splitlines()
    assert sum(MARKER in line for line in lines) == 1 and lines[-1].startswith("30 8 * * * ")
    assert crontab_of(cron_user).startswith(OTHER_LINES)

    removed = run("schedule", "--remove", "--user", cron_user)
    assert removed.exit_code == 0 and "removed" in removed.stdout
    assert crontab_of(cron_user) == before
    assert "no briefgen line" in run("schedule", "--remove", "--user", cron_user).stdout
    assert crontab_of(cron_user) == before


def test_install_into_an_empty_crontab(cron_user: str, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 25)
    assert crontab_of(cron_user) == ""
    assert run("schedule", "--at", "06:00", "--install", "--user", cron_user, "--config", str(cfg)).exit_code == 0
    assert crontab_of(cron_user).count("\n") == 1 and crontab_of(cron_user).rstrip().endswith(MARKER)
    assert run("schedule", "--remove", "--user", cron_user).exit_code == 0
    assert crontab_of(cron_user).strip() == ""


def test_the_installed_line_sends_the_brief_as_cron_would(
    cron_user: str, fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    """Run the command of the installed line with cron's bare environment: mail arrives, the log fills."""
    fake_llm.responder = notes_responder
    cfg = write_config(tmp_path, smtp_server.port)
    cfg.write_text(f'base_url = "{fake_llm.base_url}"\n' + cfg.read_text())
    result = run("schedule", "--at", "07:00", "--install", "--user", cron_user, "--config", str(cfg))
    assert result.exit_code == 0, result.stderr
    line = next(x for x in crontab_of(cron_user).splitlines() if x.endswith(MARKER))
    command = line.split(" ", 5)[5].removesuffix(MARKER).replace("\\%", "%")
    bare = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOGNAME": "root"}
    for _ in range(2):  # the second run finds the brief sent and sends nothing
        done = subprocess.run(["/bin/sh", "-c", command], env=bare, cwd="/", timeout=120,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    log = Path(os.environ["BRIEFGEN_HOME"]) / "logs" / "cron.log"
    text = log.read_text()
    assert text.count("briefgen send: 'Morning brief'") == 2
    assert "sent: reader@example.org" in text and "already sent: reader@example.org" in text
    assert len(smtp_server.recorder.messages) == 1


# ---- the run lock -----------------------------------------------------------------------
def test_the_run_lock_names_the_holder_and_is_released(tmp_path: Path) -> None:
    with run_lock(tmp_path) as path:
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(DeliveryError, match=rf"^another briefgen run is in progress \(pid {os.getpid()}\)$"):
            with run_lock(tmp_path):
                pass
    with run_lock(tmp_path):  # released on exit
        pass
