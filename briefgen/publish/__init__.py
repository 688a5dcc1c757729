"""Publishing: what the reader gets and when.

* ``rank`` — order, shown flags and sections;
* ``render`` — Markdown, HTML, text and JSON through Jinja;
* ``archive`` — every built brief kept on disk;
* ``history`` — what earlier briefs published (``--since-last``);
* ``email`` — the outbox and SMTP delivery, once per recipient;
* ``schedule`` — the cron line and the run lock.
"""
