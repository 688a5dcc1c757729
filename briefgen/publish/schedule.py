"""Scheduling through the system's cron: the crontab line, installing it, and the run lock.

Debian's cron ignores ``CRON_TZ``: a line runs in the system's zone. So the user's time and
zone are converted to the system zone with zoneinfo, and when the two zones' offset changes
during the year (DST), the caller is warned that the brief will arrive an hour off for part
of the year (a systemd timer with ``OnCalendar=... Europe/Berlin`` has no such problem).

``install``/``remove`` edit the crontab only through the ``crontab`` command: read with
``crontab -l``, replace only the line that carries briefgen's marker, write back with
``crontab -``. Every other line, comment and variable stays exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefgen.errors import DeliveryError

MARKER = "# briefgen-managed"
LOCK_NAME = "briefgen.lock"


@dataclass
class CronLine:
    """A crontab line and what the user should know about it."""

    line: str
    system_time: time
    system_zone: str
    warnings: list[str] = field(default_factory=list)


def parse_at(at: str) -> time:
    """'07:00' or '7:05' as a time, or a one-line error."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", at)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise DeliveryError(f"--at {at!r}: expected HH:MM (24-hour), e.g. 07:00")
    return time(int(m.group(1)), int(m.group(2)))


def system_zone() -> tuple[tzinfo, str]:
    """The zone cron runs in: TZ, else /etc/localtime's zoneinfo name, else the local offset."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        target = os.readlink("/etc/localtime")
        names.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    with contextlib.suppress(OSError):
        names.append(Path("/etc/timezone").read_text().strip())
    for name in names:
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name), name
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local, str(local)


def convert(at: time, zone: tzinfo, target: tzinfo, on: date) -> time:
    """The wall-clock time in ``target`` when it is ``at`` in ``zone`` on day ``on``."""
    return datetime.combine(on, at, tzinfo=zone).astimezone(target).time()


def cron_command(config_path: Path, log_path: Path, *, executable: list[str] | None = None,
                 env: dict[str, str] | None = None) -> str:
    """The shell command cron runs: ``briefgen send`` with the config's absolute path, logged."""
    env = dict(os.environ) if env is None else env
    exe = executable or default_executable()
    config_path = config_path.resolve()
    parts = [f"cd {shlex.quote(str(config_path.parent))}", "&&"]
    # cron has no login environment: carry over where briefgen keeps its state.
    for var in ("BRIEFGEN_HOME", "XDG_DATA_HOME"):
        if env.get(var):
            parts.append(f"{var}={shlex.quote(env[var])}")
    parts += [*map(shlex.quote, exe), "send", "--config", shlex.quote(str(config_path)), "--quiet",
              ">>", shlex.quote(str(log_path)), "2>&1"]
    # In a crontab, an unescaped % ends the command: escape every one.
    return " ".join(parts).replace("%", "\\%")


def default_executable() -> list[str]:
    """The briefgen script next to this Python (a venv's), else ``python -m briefgen``."""
    script = Path(sys.executable).parent / "briefgen"
    if os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "briefgen"]


def cron_line(at: str, tz: str | None, config_path: Path, log_path: Path, *, today: date | None = None,
              sys_zone: tuple[tzinfo, str] | None = None, executable: list[str] | None = None,
              env: dict[str, str] | None = None) -> CronLine:
    """The marked crontab line that runs ``briefgen send`` daily at ``at`` in zone ``tz``."""
    wanted = parse_at(at)
    target, target_name = sys_zone or system_zone()
    try:
        zone: tzinfo = ZoneInfo(tz) if tz else target
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DeliveryError(f"--tz {tz!r}: unknown time zone (use an IANA name such as Europe/Berlin)") from exc
    today = today or date.today()
    run = convert(wanted, zone, target, today)
    warnings: list[str] = []
    if tz:
        # Compare every day of the coming year: DST dates differ between zones.
        times = {day: convert(wanted, zone, target, date.fromordinal(today.toordinal() + day)) for day in range(366)}
        other = sorted({t for t in times.values() if t != run})
        if other:
            change = next(day for day, t in times.items() if t != run)
            warnings.append(
                f"cron runs in {target_name} and ignores CRON_TZ: {at} {tz} is {run:%H:%M} {target_name} now, "
                f"but {other[0]:%H:%M} from {date.fromordinal(today.toordinal() + change)} (DST); "
                "re-run `briefgen schedule --install` then, or use a systemd timer (see README)")
        warnings.insert(0, f"{at} {tz} = {run:%H:%M} {target_name} (the system zone cron uses)")
    command = cron_command(config_path, log_path, executable=executable, env=env)
    return CronLine(f"{run.minute} {run.hour} * * * {command} {MARKER}", run, target_name, warnings)


# ---- the crontab ------------------------------------------------------------------------
def _crontab(args: list[str], user: str | None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["crontab", *(["-u", user] if user else []), *args]
    try:
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as exc:
        raise DeliveryError("crontab command not found: install cron (Debian: apt-get install cron)") from exc
    except subprocess.TimeoutExpired as exc:
        raise DeliveryError(f"{' '.join(cmd)}: timed out") from exc


def read_crontab(user: str | None = None) -> str:
    """The user's crontab (empty when they have none)."""
    result = _crontab(["-l"], user)
    if result.returncode != 0:
        if "no crontab for" in result.stderr:
            return ""
        raise DeliveryError(f"crontab -l: {' '.join(result.stderr.split()) or 'failed'}")
    return result.stdout


def write_crontab(text: str, user: str | None = None) -> None:
    """Replace the user's crontab with ``text`` (through ``crontab -``, which checks it)."""
    result = _crontab(["-"], user, stdin=text)
    if result.returncode != 0:
        raise DeliveryError(f"crontab -: {' '.join(result.stderr.split()) or 'failed'}")


def _without_ours(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.rstrip().endswith(MARKER)]


def install(line: str, user: str | None = None) -> str:
    """Put briefgen's line in the crontab (replacing an earlier one); return the new crontab."""
    lines = [*_without_ours(read_crontab(user)), line]
    text = "\n".join(lines) + "\n"  # cron ignores a last line without a newline
    write_crontab(text, user)
    return text


def remove(user: str | None = None) -> bool:
    """Take briefgen's line out of the crontab; False when it was not there."""
    current = read_crontab(user)
    kept = _without_ours(current)
    if len(kept) == len(current.splitlines()):
        return False
    write_crontab("\n".join(kept) + "\n" if kept else "", user)
    return True


def installed_line(user: str | None = None) -> str | None:
    """briefgen's line in the crontab, or None."""
    return next((line for line in read_crontab(user).splitlines() if line.rstrip().endswith(MARKER)), None)


# ---- the run lock and the log -----------------------------------------------------------
@dataclass
class CronPlan:
    """What ``briefgen schedule`` would install: the line, its log, and what to warn about."""

    line: str
    config: Path
    log_path: Path
    warnings: list[str]


def plan_cron(at: str, tz: str | None, config_path: Path | None) -> CronPlan:
    """The cron line for the config file briefgen finds; a broken config fails now, not at 7 a.m."""
    from briefgen.config import config_candidates, load_settings

    found = next((p for p in config_candidates(config_path) if p.is_file()), None)
    if found is None:
        raise DeliveryError("no config file: the cron job needs one (sources and [smtp]); pass --config FILE")
    settings, _ = load_settings({}, found)
    warnings = [f"{found} has no {what}; the cron job will fail until it does"
                for missing, what in ((not settings.sources, "`sources`"), (not settings.smtp.to, "[smtp] `to`"),
                                      (not settings.smtp.sender, "[smtp] `from`")) if missing]
    log_path = cron_log_path(settings.data_dir())
    line = cron_line(at, tz, found, log_path)
    return CronPlan(line.line, found, log_path, warnings + line.warnings)


def cron_log_path(data_dir: Path) -> Path:
    """Where cron runs append their output."""
    return data_dir / "logs" / "cron.log"


@contextlib.contextmanager
def run_lock(data_dir: Path) -> Iterator[Path]:
    """Hold the run lock (fcntl.flock) for the block; a second holder gets a one-line error."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    # The file is never deleted: unlinking a lock file lets two runs lock two different files.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DeliveryError(f"{path}: cannot lock: {exc.strerror}") from exc
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DeliveryError(f"another briefgen run is in progress (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing releases the lock, also when the process dies
