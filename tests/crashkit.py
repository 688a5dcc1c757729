"""Kill -9 harness: run a briefgen command, SIGKILL it at a chosen moment, inspect what it left.

Reusable by other suites (scale): ``run_killed`` starts ``python -m briefgen ...`` in its own
process group, kills the whole group with SIGKILL after ``after_s`` seconds (no atexit, no
finally, no cleanup runs) and reports whether it was still running; ``integrity`` runs
SQLite's ``PRAGMA integrity_check`` on a state file; ``children_of`` lists the processes a
run started (to prove none outlives it).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def briefgen_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a briefgen child: its own home, this checkout first, no user keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "OPENAI_"))}
    env.update(BRIEFGEN_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


@dataclass
class Killed:
    killed: bool  # still running when the signal came (else it had already exited)
    at: float  # time.monotonic() of the kill
    returncode: int
    stderr: str


def run_killed(args: list[str], env: dict[str, str], after_s: float, cwd: Path | None = None) -> Killed:
    """Start ``briefgen *args``; SIGKILL its process group after ``after_s`` seconds."""
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        proc.wait(timeout=after_s)
        killed = False
    except subprocess.TimeoutExpired:
        killed = True
    at = time.monotonic()
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    return Killed(killed, at, proc.returncode, err)


def run_killed_when(args: list[str], env: dict[str, str], ready: Callable[[], bool], timeout: float = 60,
                    cwd: Path | None = None) -> Killed:
    """Start ``briefgen *args``; SIGKILL its process group as soon as ``ready()`` holds (polled every 10 ms)."""
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    killed = proc.poll() is None
    at = time.monotonic()
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    return Killed(killed, at, proc.returncode, err)


def run(args: list[str], env: dict[str, str], cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``briefgen *args`` to the end."""
    return subprocess.run([sys.executable, "-m", "briefgen", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def integrity(state: Path) -> str:
    """``PRAGMA integrity_check`` of a state file ('ok' when sound); opening it recovers its WAL."""
    with sqlite3.connect(state, timeout=30) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
