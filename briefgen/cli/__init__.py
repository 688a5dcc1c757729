"""The command line: parse options, call the library, print. Nothing else lives here.

Exit codes: 0 ok; 1 an error (bad config, unreadable input, nothing could be built);
2 a usage error (click's own); 3 a brief was built but some articles failed.
"""

from __future__ import annotations

import click

from briefgen import __version__
from briefgen.cli import admin, brief, editor, sources


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="briefgen")
def main() -> None:
    """briefgen: turn a day's news from many outlets into one short, source-cited brief."""


for command in (brief.build, brief.send, brief.schedule, brief.check, sources.sources, admin.model, admin.config,
                editor.prompts, editor.diff, editor.eval_cmd):
    main.add_command(command)

__all__ = ["main"]
