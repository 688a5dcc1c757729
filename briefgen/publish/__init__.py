"""Publishing: what the reader gets and when.

* ``rank`` — order, shown flags and sections;
* ``render`` — Markdown, HTML, text and JSON through Jinja;
* ``archive`` — every built brief kept on disk;
* ``history`` — what earlier briefs published (``--since-last``);
* ``email`` — the outbox and SMTP delivery, once per recipient;
* ``schedule`` — the cron line and the run lock.
"""

# The output formats of a brief (here, so the CLI can offer them without importing Jinja).
FORMATS = ("md", "html", "txt", "json")
