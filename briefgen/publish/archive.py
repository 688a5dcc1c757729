"""The archive: every built brief, kept as Markdown, HTML and JSON under ``<data>/archive/<date>/``.

The JSON is the complete record (every story, shown or not); Markdown and HTML are what a
reader saw. A rebuilt brief of the same day and title replaces its files: the archive holds
the last version of each day's brief, the outbox (deliver.py) the one that was mailed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from briefgen.config import Settings, write_atomic
from briefgen.errors import DeliveryError
from briefgen.models import Brief

ARCHIVE_FORMATS = ("md", "html", "json")


def archive_dir(settings: Settings, brief: Brief) -> Path:
    """The dated folder of one brief: ``<data>/archive/YYYY-MM-DD/``."""
    return settings.data_dir() / "archive" / brief.date.isoformat()


def slug(title: str) -> str:
    """A file name for a title: ASCII, lower case, dashes ("Évening brief" -> "evening-brief")."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "brief"


def archive_brief(brief: Brief, settings: Settings) -> list[Path]:
    """Save the brief as md, html and json in its dated archive folder; return the files."""
    from briefgen.publish.render import render  # jinja only when something is archived

    folder = archive_dir(settings, brief)
    options = {"templates_dir": settings.templates_dir, "max_key_points": settings.max_key_points,
               "show_unverified": settings.unverified == "mark"}
    written: list[Path] = []
    try:
        for fmt in ARCHIVE_FORMATS:
            path = folder / f"{slug(brief.title)}.{fmt}"
            # Owner-only and atomic: a reader never sees half a file, nor another user a brief.
            write_atomic(path, render(brief, fmt, **options).encode("utf-8"))  # type: ignore[arg-type]
            written.append(path)
    except OSError as exc:
        raise DeliveryError(f"{folder}: cannot archive the brief: {exc.strerror or exc}") from exc
    return written
