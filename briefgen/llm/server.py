"""The embedded model's server: llama-cpp-python's OpenAI-compatible server, run and stopped.

:class:`LocalServer` runs ``python -m briefgen.llm.serve`` (llama-cpp-python's server with
the JSON grammar applied lazily: same output under greedy decoding, see that module) on a
free loopback port, in its own session with a parent-death signal, so no exit path (Ctrl-C,
exception, SIGKILL of briefgen) leaves a server behind. The model file it serves comes from
:mod:`briefgen.llm.model`.

Facts about llama-cpp-python's server (0.3.x) that shape the code below:

* ``__main__`` reads ``HOST``/``PORT``/``CONFIG_FILE`` from the environment *over* the CLI
  flags, and its pydantic-settings read every other field (``API_KEY``, ``CACHE``, ...)
  from the environment too: the child gets a scrubbed environment.
* Without ``--chat_format`` it uses the chat template the GGUF carries.
* It reuses the KV cache of the previous prompt's longest common prefix on its own (one
  slot); ``--cache true`` only adds a RAM store of older prompt states.
* ``--logits_all`` defaults to true there (needed only for logprobs): every prompt token's
  logits over a 151k vocabulary are computed and copied, so we turn it off.
* ``response_format`` accepts ``text`` and ``json_object`` (+ ``schema``), not ``json_schema``.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from briefgen.llm import model as local
from briefgen.config import Settings
from briefgen.errors import ModelError

log = logging.getLogger(__name__)

_STARTUP_TIMEOUT_S = 120.0
_STOP_GRACE_S = 5.0
_KEEP_LOGS = 5

# Environment the server may see. Everything else is dropped: llama_cpp.server reads HOST,
# PORT, CONFIG_FILE, API_KEY, CACHE, N_CTX, ... from the environment, some over our flags.
_ENV_KEEP = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "TZ", "VIRTUAL_ENV", "PYTHONPATH",
             "LD_LIBRARY_PATH", "SYSTEMROOT"}
_ENV_KEEP_PREFIXES = ("LC_", "GGML_", "LLAMA_CPP_LIB", "OMP_", "OPENBLAS_", "MKL_")
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
_PR_SET_PDEATHSIG = 1
# The module the server runs as: llama_cpp.server's main behind the lazy-grammar patch.
SERVER_MODULE = "briefgen.llm.serve"

_live: set[LocalServer] = set()
_live_lock = threading.Lock()


def _child_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_KEEP_PREFIXES)}
    # __main__ prefers these two over --host/--port: pin them to what we chose.
    env.update(HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
    return env


def _parent_death_hook() -> Callable[[], None]:
    """A preexec_fn that makes Linux SIGKILL the server when the thread that spawned it dies.

    SIGKILL, not SIGTERM: uvicorn takes SIGTERM as a graceful shutdown that waits for the
    request in flight, and a generation on a loaded machine can run for minutes, so a killed
    briefgen left its server running (seen: 7 minutes, parent pid 1). The server keeps no
    state worth a graceful exit.
    """
    parent = os.getpid()
    try:
        # Resolved here, in the parent: dlopen after fork in a threaded process can deadlock.
        prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        prctl = None  # not Linux: stop() and the atexit hook still apply

    def hook() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        # If the parent died between fork and prctl the signal will never come: leave now.
        if os.getppid() != parent:
            os._exit(1)

    return hook


def _wait_exited(pid: int, timeout: float) -> bool:
    """Wait for ``pid`` to exit *without reaping it*, so its process group id stays ours."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True  # already reaped
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class _Spawner:
    """Runs Popen on one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process:
    a server started from a short-lived worker thread would be killed with that thread.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[tuple[bool, Any]]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], Any]) -> Any:
        if threading.current_thread() is threading.main_thread():
            return fn()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="briefgen-spawner", daemon=True)
                self._thread.start()
        reply: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self._jobs.put((fn, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    def _loop(self) -> None:
        while True:
            fn, reply = self._jobs.get()
            try:
                reply.put((True, fn()))
            except BaseException as exc:  # handed back to the caller's thread
                reply.put((False, exc))


_spawner = _Spawner()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def _prune_logs(directory: Path) -> None:
    logs = sorted(directory.glob("llama-server-*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[:-_KEEP_LOGS]:
        old.unlink(missing_ok=True)


def require_server_installed() -> None:
    """Raise ModelError with the install command unless llama-cpp-python[server] is importable."""
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(
            f"the embedded model needs llama-cpp-python[server] ({', '.join(missing)} not installed); "
            f"install it with: {local.INSTALL_COMMAND}"
        )


class LocalServer:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, as a context manager."""

    def __init__(self, settings: Settings, model_path: Path | None = None,
                 *, startup_timeout: float = _STARTUP_TIMEOUT_S) -> None:
        self.settings = settings
        self.model_path = model_path
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.log_path: Path | None = None
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str | None:
        """``http://127.0.0.1:PORT/v1`` while running, else None."""
        return f"http://127.0.0.1:{self.port}/v1" if self.running else None

    @property
    def pid(self) -> int | None:
        """The server's process id (also its process group id) while running."""
        return self._proc.pid if self.running and self._proc else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def command(self, model: Path, port: int) -> list[str]:
        """The exact command line that starts the server."""
        threads = self.settings.threads or len(os.sched_getaffinity(0)) or os.cpu_count() or 1
        return [
            # llama_cpp.server's own main and flags, after briefgen.llm.serve has made the
            # grammar lazy in that process: same replies under greedy decoding, ~25 ms less
            # per generated token on this machine kind (27.6 -> 2.4 ms outside the decode).
            sys.executable, "-m", SERVER_MODULE,
            "--model", str(model),
            "--model_alias", model.stem,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(self.settings.context_tokens),
            "--n_batch", "512",
            "--n_threads", str(threads),
            "--n_threads_batch", str(threads),
            # Logits for every prompt token are only needed for logprobs, which we never ask for.
            "--logits_all", "false",
            # The server already reuses the previous prompt's KV prefix; a RAM cache of older
            # states would only help prompts that alternate, and copies the whole state per call.
            "--cache", "false",
            # A single user: a new request must not abort one still streaming.
            "--interrupt_requests", "false",
        ]

    def start(self) -> str:
        """Start the server (once) and wait until it answers; return its base URL."""
        with self._lock:
            if self.running:
                assert self.base_url is not None
                return self.base_url
            require_server_installed()
            model = self.model_path or local.ensure_model(self.settings)
            for attempt in range(3):
                try:
                    return self._start_once(model)
                except _PortTaken:
                    log.info("port taken before the server could bind it; retrying (%d)", attempt + 1)
            raise ModelError("local model server could not bind a loopback port after 3 attempts")

    def _start_once(self, model: Path) -> str:
        port = _free_port()
        logs = self.settings.data_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        _prune_logs(logs)
        log_path = logs / f"llama-server-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{port}.log"
        cmd = self.command(model, port)
        started = time.perf_counter()
        hook = _parent_death_hook()
        with open(log_path, "wb") as log_fh:
            self._proc = _spawner.run(lambda: subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
                env=_child_env(port), start_new_session=True, preexec_fn=hook, close_fds=True,
            ))
        self.port, self.log_path = port, log_path
        with _live_lock:
            _live.add(self)
        log.info("starting local model server pid %d on 127.0.0.1:%d (log %s)", self._proc.pid, port, log_path)
        try:
            self._wait_ready(port, log_path)
        except BaseException:
            # Ctrl-C or a failed start must not leave a half-started server behind.
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - started
        log.info("local model server ready in %.1f s", self.start_seconds)
        return f"http://127.0.0.1:{port}/v1"

    def _wait_ready(self, port: int, log_path: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{port}/v1/models"
        # No proxies: an http_proxy in the environment must not swallow a loopback probe.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        assert self._proc is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = _tail(log_path)
                if "address already in use" in tail.lower():
                    raise _PortTaken()
                raise ModelError(f"local model server exited with code {code} while starting: {tail or 'no output'}")
            try:
                with opener.open(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet: the model is still loading
            if time.monotonic() > deadline:
                raise ModelError(
                    f"local model server did not answer within {self.startup_timeout:.0f} s (log {log_path}): "
                    f"{_tail(log_path, 3)}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server and everything in its process group: SIGTERM, then SIGKILL."""
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            self._signal_group(proc.pid, signal.SIGTERM)
            if not _wait_exited(proc.pid, _STOP_GRACE_S):
                log.warning("local model server pid %d ignored SIGTERM; killing it", proc.pid)
                self._signal_group(proc.pid, signal.SIGKILL)
                _wait_exited(proc.pid, _STOP_GRACE_S)
            # The leader is a zombie until reaped, so its group id cannot have been reused:
            # anything it forked into the group goes now.
            self._signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        self._proc = None
        with _live_lock:
            _live.discard(self)

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class _PortTaken(Exception):
    """The free port we picked was taken before the server bound it."""


@atexit.register
def _stop_all() -> None:
    """Last safeguard: stop every server this process started that is still running."""
    with _live_lock:
        servers = list(_live)
    for server in servers:
        try:
            server.stop()
        except Exception:  # exiting anyway: never mask the original exit
            log.debug("could not stop local server", exc_info=True)
