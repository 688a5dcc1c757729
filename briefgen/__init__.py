"""briefgen: turn a day's news from many outlets into one short, source-cited daily brief.

The library works without the CLI::

    from briefgen import build_brief, load_settings, render
    settings, _ = load_settings({"base_url": "http://localhost:11434/v1", "model": "qwen2.5"})
    brief = build_brief(["seeds/"], settings)
    markdown = render(brief, "md")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "build_brief", "load_settings", "render", "Settings", "Brief", "BriefgenError"]


def __getattr__(name: str) -> Any:
    # Lazy: `briefgen --help` must not pay for importing openai, trafilatura and jinja.
    if name == "build_brief":
        from briefgen.pipeline import build_brief

        return build_brief
    if name == "render":
        from briefgen.publish.render import render

        return render
    if name in ("load_settings", "Settings"):
        from briefgen import config
        return getattr(config, name)
    if name == "Brief":
        from briefgen.models import Brief

        return Brief
    if name == "BriefgenError":
        from briefgen.errors import BriefgenError

        return BriefgenError
    raise AttributeError(name)
