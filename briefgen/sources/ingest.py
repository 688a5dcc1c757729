"""Read sources (files, folders, globs, stdin) into cleaned Articles.

One bad file among several never raises: it becomes a ``Failure`` with a one-line reason,
and the rest load. Metadata comes only from the input itself (front matter, JSON keys,
HTML metadata, what the text states); anything else stays None — a .txt without front
matter has no outlet, and the renderer shows its file name as such.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import stat
import sys
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import yaml

from briefgen.sources.clean import Cleaned, clean_html, clean_text
from briefgen.text.figures import parse_date
from briefgen.models import Article, ContentKind, Failure

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".html", ".htm", ".json")
_SUPPORTED_TEXT = "no .txt/.md/.html/.htm/.json files"
# Below this many words a body is a teaser (feed description, agency snippet), not an article.
SNIPPET_WORDS = 60
_GLOB_CHARS = set("*?[")
# The largest file, stdin or fetched body read (fetch.py shares it): news pages are far smaller.
MAX_BYTES = 5_000_000


class _Bad(Exception):
    """One source cannot be read; the message is the one-line reason."""


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def load_sources(
    sources: Sequence[str], *, stdin: IO[str] | None = None, max_bytes: int = MAX_BYTES
) -> tuple[list[Article], list[Failure]]:
    """Load every source into Articles; unreadable ones become Failures, never exceptions."""
    articles: list[Article] = []
    failures: list[Failure] = []
    seen: set[str] = set()

    def take(path: Path, display: str) -> None:
        key = os.path.realpath(path)
        if key in seen:  # the same file named twice (folder + glob) loads once
            return
        seen.add(key)
        try:
            arts, fails = _load_file(path, display, max_bytes)
        except _Bad as exc:
            failures.append(Failure(source=display, reason=str(exc)))
            return
        articles.extend(arts)
        failures.extend(fails)

    for source in sources:
        if source == "-":
            if "-" in seen:
                continue
            seen.add("-")
            try:
                arts, fails = _load_stdin(stdin if stdin is not None else sys.stdin, max_bytes)
                articles.extend(arts)
                failures.extend(fails)
            except _Bad as exc:
                failures.append(Failure(source="-", reason=str(exc)))
            continue
        for path, display, problem in _expand(source):
            if problem:
                failures.append(Failure(source=display, reason=problem))
            else:
                take(path, display)
    for f in failures:
        # Not a warning: the caller lists every failure (the CLI's "failed:" or "error:" line),
        # and a second copy on stderr as a log WARNING said each problem twice.
        log.info("%s: %s", f.source, f.reason)
    return articles, failures


def _expand(source: str) -> list[tuple[Path, str, str | None]]:
    """(path, display name, problem) for each file a source names, sorted for determinism."""
    path = Path(source).expanduser()
    if any(c in source for c in _GLOB_CHARS) and not path.exists():
        matches = sorted(glob.glob(os.path.expanduser(source), recursive=True))
        files = [Path(m) for m in matches if Path(m).is_file() and Path(m).suffix.lower() in SUPPORTED]
        for m in matches:
            if Path(m).is_file() and Path(m).suffix.lower() not in SUPPORTED:
                log.debug("skipping %s: unsupported file type", m)
        if not files:
            return [(path, source, "no files match" if not matches else f"pattern matches {_SUPPORTED_TEXT}")]
        return [(f, str(f), None) for f in files]
    if path.is_symlink() and not path.exists():
        return [(path, source, "broken symbolic link")]
    if path.is_dir():
        files = []
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                f = Path(root) / name
                if name.startswith("."):
                    continue
                if f.suffix.lower() in SUPPORTED:
                    files.append(f)
                else:
                    log.debug("skipping %s: unsupported file type", f)
        if not files:
            return [(path, source, _SUPPORTED_TEXT)]
        return [(f, str(f), None) for f in sorted(files)]
    if not path.exists():
        return [(path, source, "no such file or directory")]
    if path.suffix.lower() not in SUPPORTED:
        return [(path, source, f"unsupported file type {path.suffix or '(none)'!r}; expected one of "
                 + ", ".join(SUPPORTED))]
    return [(path, source, None)]


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = os.stat(path)
    except PermissionError:
        raise _Bad("permission denied") from None
    except OSError as exc:
        raise _Bad(exc.strerror or "cannot read") from None
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would block forever, a device may never end.
        kind = "FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "special file"
        raise _Bad(f"not a regular file ({kind})")
    if st.st_size > max_bytes:
        raise _Bad(f"file is {_mb(st.st_size)}, over the {_mb(max_bytes)} limit")
    try:
        with open(path, "rb") as fh:
            return fh.read(max_bytes + 1)
    except PermissionError:
        raise _Bad("permission denied") from None
    except OSError as exc:
        raise _Bad(exc.strerror or "cannot read") from None


def decode(data: bytes, name: str) -> str:
    """Bytes to text: UTF-8 (BOM allowed), UTF-16 with a BOM, else a confident charset guess."""
    if not data.strip():
        raise _Bad("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _Bad("invalid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise _Bad("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
        if exc.reason == "unexpected end of data":
            # UTF-8 cut inside its last character (a truncated download or copy): the text is
            # UTF-8; guessing a legacy code page would garble every accented letter before it.
            log.warning("%s: ends inside a UTF-8 character (truncated?); the partial character is dropped", name)
            return data[:first_bad].decode("utf-8-sig")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    # Legacy single-byte text (cp1252, latin-1) decodes with little "chaos"; random bytes don't.
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise _Bad(f"not UTF-8 text (invalid byte at offset {first_bad}) and no confident encoding guess")
    encoding = best.encoding
    # Short Latin text ties between code pages (cp1250 reads "naïve" as "naďve"); Windows
    # Western is by far the most common legacy encoding of news text, so it wins a tie.
    if any("cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.01 for m in matches):
        encoding = "cp1252"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        encoding, text = best.encoding, str(best)
    log.warning("%s: not UTF-8; decoded as %s", name, encoding)
    if sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f") > len(text) * 0.01:
        raise _Bad("binary file (control characters)")
    return text


def _load_stdin(stream: IO[str], max_bytes: int) -> tuple[list[Article], list[Failure]]:
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data = buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _Bad(f"input is over the {_mb(max_bytes)} limit")
        text = decode(data, "-")
    else:
        text = stream.read(max_bytes + 1)
        if len(text.encode("utf-8")) > max_bytes:
            raise _Bad(f"input is over the {_mb(max_bytes)} limit")
        if not text.strip():
            raise _Bad("empty input")
    head = text.lstrip()[:200].lower()
    if head.startswith(("{", "[")):
        kind = ".json"
    elif head.startswith(("<!doctype html", "<html")) or "<body" in text[:5000].lower():
        kind = ".html"
    else:
        kind = ".txt"
    return _parse(text, kind, "-", raw_path=None)


def _load_file(path: Path, display: str, max_bytes: int) -> tuple[list[Article], list[Failure]]:
    data = _read_bytes(path, max_bytes)
    text = decode(data, display)
    return _parse(text, path.suffix.lower(), display, raw_path=str(path.resolve()))


def _parse(text: str, kind: str, source: str, raw_path: str | None) -> tuple[list[Article], list[Failure]]:
    if not text.strip():
        raise _Bad("empty file")
    if kind == ".json":
        return _parse_json(text, source, raw_path)
    if kind in (".html", ".htm"):
        return [_article(clean_html(text), {}, source, raw_path)], []
    meta, body = split_front_matter(text, source)
    cleaned = clean_text(body, title=_str(meta.get("title")))
    return [_article(cleaned, meta, source, raw_path)], []


# PyYAML's C (libyaml) safe loader when the wheel has it: the same documents, ~8x faster than
# the pure-Python one (0.2 ms a front matter block, measured: most of reading a plain file).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_front_matter(text: str, source: str = "") -> tuple[dict[str, Any], str]:
    """A leading ``---`` (YAML or TOML) or ``+++`` (TOML) block as a dict, and the rest."""
    stripped = text.lstrip("\ufeff")
    for fence in ("---", "+++"):
        if not stripped.startswith(fence + "\n") and not stripped.startswith(fence + "\r\n"):
            continue
        lines = stripped.splitlines(keepends=True)
        for i in range(1, min(len(lines), 200)):
            if lines[i].strip() == fence:
                block, rest = "".join(lines[1:i]), "".join(lines[i + 1:])
                meta = _parse_block(block, fence)
                if meta is None:
                    # A Markdown rule ("---") at the top, not front matter: keep the text whole.
                    log.debug("%s: leading %s block is not front matter", source, fence)
                    return {}, text
                return {str(k).lower(): v for k, v in meta.items()}, rest
        break
    return {}, text


def _parse_block(block: str, fence: str) -> dict[str, Any] | None:
    if fence == "---":
        try:
            data = yaml.load(block, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
            if isinstance(data, dict):
                return data
        except yaml.YAMLError:
            pass
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None


def _parse_json(text: str, source: str, raw_path: str | None) -> tuple[list[Article], list[Failure]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Bad(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict) and not _body_of(data) and isinstance(data.get("articles") or data.get("items"), list):
        data = data.get("articles") or data.get("items")
    items = data if isinstance(data, list) else [data]
    if not items:
        raise _Bad("JSON holds no articles (empty list)")
    articles: list[Article] = []
    failures: list[Failure] = []
    for i, item in enumerate(items):
        name = f"{source}[{i}]" if isinstance(data, list) else source
        if not isinstance(item, dict):
            failures.append(Failure(source=name, reason=f"JSON article is a {type(item).__name__}, not an object"))
            continue
        body = _body_of(item)
        if not body:
            failures.append(Failure(source=name, reason="JSON article has no body (expected body, text or content)"))
            continue
        meta = {k.lower(): v for k, v in item.items()}
        looks_html = "<p" in body.lower() or "</" in body
        cleaned = clean_html(body) if looks_html else clean_text(body, title=_str(meta.get("title") or meta.get("headline")))
        if looks_html and (meta.get("title") or meta.get("headline")):
            cleaned.title = _str(meta.get("title") or meta.get("headline"))
        try:
            articles.append(_article(cleaned, meta, name, raw_path))
        except _Bad as exc:
            failures.append(Failure(source=name, reason=str(exc)))
    return articles, failures


def _body_of(item: dict[str, Any]) -> str | None:
    for key in ("body", "text", "content", "article", "description", "summary"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, dict):  # {"source": {"id": ..., "name": "BBC News"}}
        value = value.get("name") or value.get("title")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _published(value: Any, source: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    parsed = parse_date(str(value))
    if parsed is None:
        log.warning("%s: cannot parse published date %r; leaving it unknown", source, value)
    return parsed


def _article(cleaned: Cleaned, meta: dict[str, Any], source: str, raw_path: str | None) -> Article:
    """Build an Article from cleaned text plus metadata the input states (meta wins)."""
    title = _str(meta.get("title") or meta.get("headline")) or cleaned.title
    body = cleaned.body.strip()
    if body.endswith("]") and "[+" in body[-20:]:  # news APIs cut content: "… [+2345 chars]"
        body = body[: body.rfind("[+")].rstrip()
        truncated = True
    else:
        truncated = body.endswith(("…", "..."))
    if not body and not title:
        raise _Bad("no article text found (empty after removing page furniture)")
    if not body:
        kind, body = ContentKind.TITLE_ONLY, title or ""
    elif len(body.split()) < SNIPPET_WORDS or (truncated and len(body.split()) < 2 * SNIPPET_WORDS):
        kind = ContentKind.SNIPPET
    else:
        kind = ContentKind.FULL
    if not title:
        first = body.split("\n\n", 1)[0]
        title = first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"
    return Article.create(
        source=source,
        title=title,
        body=body,
        outlet=_str(meta.get("outlet") or meta.get("source") or meta.get("site") or meta.get("publisher"))
        or cleaned.outlet,
        url=_str(meta.get("url") or meta.get("link")) or cleaned.url,
        published=_published(
            next((meta[k] for k in ("published", "date", "published_at", "publishedat", "pubdate") if meta.get(k)),
                 None), source) or cleaned.published,
        byline=_str(meta.get("author") or meta.get("byline") or meta.get("authors")) or cleaned.byline,
        dateline=_str(meta.get("dateline")) or cleaned.dateline,
        language=_str(meta.get("language") or meta.get("lang")) or cleaned.language,
        content_kind=kind,
        furniture_removed=len(cleaned.removed),
        raw_path=raw_path,
    )


def article_from(cleaned: Cleaned, meta: dict[str, Any], source: str) -> Article:
    """An Article from fetched text (feeds and pages use the same rules as files); ValueError if empty."""
    try:
        return _article(cleaned, meta, source, None)
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def decode_bytes(data: bytes, name: str) -> str:
    """``decode`` for callers outside this module; ValueError with the one-line reason."""
    try:
        return decode(data, name)
    except _Bad as exc:
        raise ValueError(str(exc)) from None
