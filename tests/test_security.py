"""Security: article text is inert in every brief, secrets never leak, user folders are sandboxed,
and what briefgen keeps is written atomically and for its owner only.

The article texts and payloads here are written for this file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI, bad_request
from scripted import notes_for, notes_responder
from smtpserver import PASSWORD, USER, Server, tls_server  # noqa: F401

from briefgen.cli import main
from briefgen.config import redact_argv, write_atomic

try:
    import browser
except ImportError:  # pragma: no cover
    from tests import browser  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent

# Every payload sets window.__pwned if it ever runs.
HOSTILE = """---
title: "Dam <script>window.__pwned=1</script> report <img src=x onerror=\\"window.__pwned=2\\">"
url: "javascript:window.__pwned=3"
outlet: "<b onmouseover=\\"window.__pwned=4\\">Gazette</b>"
---
The river authority said on Monday that the old dam at Brenning <script>window.__pwned=5</script> is safe
after a week of inspections by its engineers.

Inspectors found two small cracks <img src=x onerror="window.__pwned=6"> in the spillway and said they
would be sealed before the spring floods arrive.

A spokeswoman said the report <a href="javascript:window.__pwned=7">is online</a> and that the road
over the dam would reopen on Friday.
"""

PLAIN = """---
title: "Ferry timetable changes for the winter"
url: "https://example.org/ferry?day=1&x=<y>"
---
The island ferry will sail four times a day instead of six from November, its operator said on Monday.

The operator said fewer passengers travel in winter and that the summer timetable returns in April.
"""


def hostile_notes(request: dict) -> str:
    """Notes that also carry markup in the fields the model writes."""
    notes = notes_for(request)
    notes["headline"] = notes["headline"][:40] + ' <svg onload="window.__pwned=8">'
    notes["summary"] = "<iframe src=\"javascript:window.__pwned=9\"></iframe> " + notes["summary"]
    return json.dumps(notes)


@pytest.fixture
def hostile_inputs(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dam.md").write_text(HOSTILE, encoding="utf-8")
    (folder / "ferry.md").write_text(PLAIN, encoding="utf-8")
    return [folder / "dam.md", folder / "ferry.md"]


def _email_html(eml: Path) -> str:
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    part = msg.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


INERT_JS = """(() => {
  const bad = [];
  for (const e of document.querySelectorAll('*')) {
    for (const a of e.attributes) {
      if (/^on/i.test(a.name)) bad.push(e.tagName + ' ' + a.name);
    }
    if (['SCRIPT', 'IFRAME', 'SVG', 'OBJECT', 'EMBED'].includes(e.tagName.toUpperCase())) bad.push(e.tagName);
  }
  const links = [...document.querySelectorAll('[href], [src]')].map(e => e.getAttribute('href') || e.getAttribute('src'));
  return {pwned: window.__pwned === undefined ? null : window.__pwned, bad: bad,
          links: links, text: document.body.innerText};
})()"""


@pytest.mark.browser
@pytest.mark.skipif(not browser.chromium_available(), reason="needs Debian's chromium")
def test_article_markup_is_inert_in_the_html_brief_and_the_email(
    fake_llm: FakeOpenAI, tls_server: Server, hostile_inputs: list[Path], tmp_path: Path
) -> None:
    """<script>, on*= handlers and javascript: links from articles and the model never run. Bound: 40 s."""
    fake_llm.responder = hostile_notes
    page = tmp_path / "brief.html"
    result = CliRunner().invoke(main, ["build", *map(str, hostile_inputs), "--base-url", fake_llm.base_url,
                                       "-o", str(page), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    config = tmp_path / "briefgen.toml"
    config.write_text('[smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\nfrom = "b@example.org"\n'
                      'to = ["r@example.org"]\n', encoding="utf-8")
    sent = CliRunner().invoke(main, ["send", *map(str, hostile_inputs), "--config", str(config), "--base-url",
                                     fake_llm.base_url, "--dry-run", "-q"], catch_exceptions=False)
    assert sent.exit_code == 0, sent.stderr
    email_page = tmp_path / "email.html"
    email_page.write_text(_email_html(Path(sent.stdout.strip())), encoding="utf-8")

    with browser.Browser() as b:
        for path in (page, email_page):
            b.load(path, width=800)
            found = b.evaluate(INERT_JS)
            assert found["pwned"] is None, (path.name, found)
            assert found["bad"] == [], (path.name, found["bad"])
            assert all(re.match(r"https?://", link) for link in found["links"] if link), found["links"]
            # Shown as text, not dropped: the reader sees what the article said.
            assert "<script>" in found["text"] or "window.__pwned" in found["text"], path.name


def test_only_http_and_https_links_in_every_format(fake_llm: FakeOpenAI, hostile_inputs: list[Path],
                                                   tmp_path: Path) -> None:
    """A javascript: URL is never a link target in md, html or txt. Bound: 10 s."""
    fake_llm.responder = notes_responder
    for fmt in ("md", "html", "txt"):
        result = CliRunner().invoke(main, ["build", *map(str, hostile_inputs), "--base-url", fake_llm.base_url,
                                           "-f", fmt, "-q"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        out = result.stdout
        if fmt == "md":  # inline links and reference definitions
            targets = re.findall(r"\]\(([^)\s]+)\)", out) + re.findall(r"^\[[^\]]+\]: <?([^>\s]+)>?$", out, re.M)
        elif fmt == "html":
            targets = _links(out)
        else:  # plain text: the URLs it lists
            targets = re.findall(r"(?<![\w\"'=])[a-z]+://\S+", out)
        assert targets, fmt  # the ferry's https link is there
        assert all(t.startswith(("https://", "http://", "#")) for t in targets), (fmt, targets)
        assert "javascript:window.__pwned=3" not in out, fmt  # the dam's URL is not listed at all
        assert "<y>" not in " ".join(targets), targets  # percent-encoded, never raw markup in a link


def _links(html: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(v or "" for k, v in attrs if k in ("href", "src"))

    Links().feed(html)
    return found


# ---- secrets ------------------------------------------------------------------------------
API_KEY = "sk-LEAKCHECK-7f3a9c2e41"


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "briefgen", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_secrets_never_appear_in_anything_briefgen_writes(
    fake_llm: FakeOpenAI, tls_server: Server, hostile_inputs: list[Path], tmp_path: Path
) -> None:
    """API key (flag and env) and SMTP password: absent from output, -vv logs, errors, state, archive,
    outbox, config show. Bound: 60 s."""
    home = tmp_path / "briefgen-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "OPENAI_"))}
    env.update(BRIEFGEN_HOME=str(home), PYTHONPATH=str(ROOT), OPENAI_API_KEY=API_KEY,
               BRIEFGEN_SMTP_PASSWORD=PASSWORD)
    config = tmp_path / "briefgen.toml"
    config.write_text(
        f'sources = {json.dumps([str(p) for p in hostile_inputs])}\n[smtp]\nhost = "127.0.0.1"\n'
        f'port = {tls_server.port}\nsecurity = "starttls"\nuser = "{USER}"\nca_file = "{tls_server.cert}"\n'
        'from = "b@example.org"\nto = ["r@example.org"]\nattempts = 1\n', encoding="utf-8")
    fake_llm.responder = notes_responder
    outputs = []
    runs = [
        ("build", *map(str, hostile_inputs), "--base-url", fake_llm.base_url, "--api-key", API_KEY, "-vv",
         "-o", str(tmp_path / "out.html")),
        ("send", "--config", str(config), "--base-url", fake_llm.base_url, f"--api-key={API_KEY}", "-vv"),
        ("config", "show", "--config", str(config)),
        ("config", "show", "--config", str(config), "--json"),
    ]
    for args in runs:
        done = _run(*args, env=env, cwd=tmp_path)
        assert done.returncode == 0, (args[0], done.stderr[-2000:])
        outputs += [done.stdout, done.stderr]
    assert len(tls_server.recorder.messages) == 1 and tls_server.recorder.login_attempts == 1  # really used
    # Failures too: a server that echoes the key back, and a mail server that refuses the password.
    fake_llm.responder = lambda r: bad_request(f"Incorrect API key provided: {API_KEY}", status=401)
    failed = _run("build", str(hostile_inputs[1]), "--base-url", fake_llm.base_url, "--no-cache", "-vv",
                  env=env, cwd=tmp_path)
    assert failed.returncode == 1 and "HTTP 401" in failed.stderr
    wrong = dict(env, BRIEFGEN_SMTP_PASSWORD=PASSWORD + "-wrong")
    refused = _run("send", "--config", str(config), "--base-url", fake_llm.base_url, "--force", "-vv",
                   env=wrong, cwd=tmp_path)
    assert refused.returncode == 1 and "535" in refused.stdout + refused.stderr
    outputs += [failed.stdout, failed.stderr, refused.stdout, refused.stderr]

    written = {str(p): p.read_bytes() for p in [*home.rglob("*"), tmp_path / "out.html"] if p.is_file()}
    assert any(name.endswith("state.sqlite3") for name in written)
    assert any("/archive/" in name for name in written) and any(name.endswith(".eml") for name in written)
    import base64

    secrets = [API_KEY, PASSWORD, PASSWORD + "-wrong"]
    forms = [s.encode() for s in secrets] + [base64.b64encode(f"\0{USER}\0{s}".encode()) for s in secrets]
    for text in outputs:
        for secret in secrets:
            assert secret not in text, (secret, text[-3000:])
    for name, data in written.items():
        for form in forms:
            assert form not in data, (form, name)


def test_the_run_log_keeps_argv_without_the_key() -> None:
    """Bound: instant."""
    assert redact_argv(["build", "--api-key", "sk-1", "x.txt", "--api-key=sk-2"]) == [
        "build", "--api-key", "***", "x.txt", "--api-key=***"]


# ---- user folders are sandboxed -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["prompts", "templates"])
def test_a_user_folder_cannot_reach_python(fake_llm: FakeOpenAI, hostile_inputs: list[Path], tmp_path: Path,
                                           kind: str) -> None:
    """A template reaching for __class__/__globals__ is one error line naming the file. Bound: 10 s."""
    fake_llm.responder = notes_responder
    folder = tmp_path / kind
    folder.mkdir()
    if kind == "prompts":
        source = (ROOT / "prompts" / "summarize.j2").read_text(encoding="utf-8")
        escape = "{{ title.__class__.__mro__[1].__subclasses__() }}"
        (folder / "summarize.j2").write_text(source.replace("{#- system -#}", "{#- system -#}\n" + escape, 1))
    else:
        (folder / "brief.md").write_text("{{ brief.__class__.__init__.__globals__['os'].system('id') }}\n")
    result = CliRunner().invoke(main, ["build", str(hostile_inputs[1]), "--base-url", fake_llm.base_url,
                                       f"--{kind}-dir", str(folder), "-q"], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(folder) in lines[0], result.stderr
    assert "unsafe" in lines[0] and "uid=" not in result.stdout


# ---- what briefgen keeps ----------------------------------------------------------------------
def test_state_archive_and_outbox_are_owner_only(fake_llm: FakeOpenAI, hostile_inputs: list[Path],
                                                 tmp_path: Path) -> None:
    """Under a permissive umask, every kept file is 0600 and every folder briefgen made 0700. Bound: 10 s."""
    fake_llm.responder = notes_responder
    old = os.umask(0o022)
    try:
        config = tmp_path / "briefgen.toml"
        config.write_text('[smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\nfrom = "b@example.org"\n'
                          'to = ["r@example.org"]\n', encoding="utf-8")
        for args in (["build", "--since-last"], ["send", "--config", str(config), "--dry-run"]):
            result = CliRunner().invoke(main, [*args, *map(str, hostile_inputs), "--base-url", fake_llm.base_url,
                                               "-q"], catch_exceptions=False)
            assert result.exit_code == 0, result.stderr
    finally:
        os.umask(old)
    home = tmp_path / "briefgen-home"
    files = [p for p in home.rglob("*") if p.is_file()]
    kinds = {p.name.rsplit(".", 1)[-1] for p in files}
    assert {"sqlite3", "md", "html", "json", "eml"} <= kinds, kinds
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    for path in [home, *[p for p in home.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, (path, oct(path.stat().st_mode))
    assert not [p for p in files if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that dies before its rename changes nothing and leaves no temporary file. Bound: instant."""
    target = tmp_path / "kept" / "brief.json"
    write_atomic(target, b'{"v": 1}')

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(target, b'{"v": 2, "padding": "' + b"x" * 100_000 + b'"}')
    assert target.read_bytes() == b'{"v": 1}'
    assert [p.name for p in target.parent.iterdir()] == ["brief.json"]
