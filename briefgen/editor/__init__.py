"""The editor's tools: see what a prompt or template change does before readers do.

* ``workbench`` — list, show, render, check and copy prompts and templates;
* ``diff`` — compare the briefs of two prompt folders on the same inputs;
* ``evaluate`` — run TOML expectations against a brief;
* ``check`` — the trust report of a built brief.
"""
