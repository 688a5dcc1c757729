"""The fault matrix: every way a model server or a mail server fails, and what briefgen does.

Each LLM fault runs twice against the loopback OpenAI-protocol server: *transient* (N faults
in a row, then good replies) must end in a complete brief, exit 0; *permanent* (every call
for one article fails) must end in a brief with that article under failures, exit 3 — or,
when nothing can work (a wrong key, a wrong endpoint), exit 1 with one line. Every case
ends within the bound its test states. Two short articles written for this file: one is hit
by the fault, the other is not.

The README's reliability table is built from these cases; keep the two in step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI, Reply, bad_request, connection_reset, error_body, hang, rate_limited, server_error
from scripted import notes_for, notes_responder, user_text
from smtpserver import Server, SmtpRecorder, free_port, smtp_server, tls_server  # noqa: F401

from briefgen.cli import main
from briefgen.models import Brief

TIMEOUT_S = 1.0  # the client's timeout in these tests (BRIEFGEN_TIMEOUT_S)

HARBOR = """Harbor cranes stop after a power cut

The port of Kelmouth halted all container cranes on Tuesday after a power cut hit the
harbor's eastern terminal, the port authority said.

Engineers restored power to two of the six cranes by the evening, and the authority said
the remaining four would run again by Thursday. About 40 ships were waiting offshore.

The authority said a damaged cable under the quay caused the cut and that no one was hurt.
"""

ORCHARD = """Orchard growers report a record apple harvest

Fruit growers in the Vessen valley picked a record 210,000 tonnes of apples this autumn,
their cooperative said on Monday.

The cooperative credited a mild spring without late frost and new irrigation ponds built
two years ago. Prices fell by about a tenth as supermarkets stocked up.

Growers said they would store part of the crop in cooled warehouses until spring.
"""


@pytest.fixture
def articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.setenv("BRIEFGEN_TIMEOUT_S", str(TIMEOUT_S))
    monkeypatch.setenv("BRIEFGEN_MAX_RETRIES", "2")
    # tenacity's back-off on a 429 without Retry-After (2 s, 4 s) capped: the same path, faster.
    monkeypatch.setattr("briefgen.llm.client.RATE_LIMIT_MAX_WAIT_S", 0.2)
    paths = []
    for name, text in (("harbor.txt", HARBOR), ("orchard.txt", ORCHARD)):
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def build(fake_llm: FakeOpenAI, paths: list[Path], *extra: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["build", *map(str, paths), "--base-url", fake_llm.base_url, "-f", "json", "-q",
                                     *extra], catch_exceptions=False)


def is_harbor(request: dict) -> bool:
    return "Kelmouth" in user_text(request)


def harbor_requests(fake_llm: FakeOpenAI) -> int:
    return sum(is_harbor(r.json) for r in fake_llm.chat_requests)


@dataclass
class Fault:
    name: str
    reply: Callable[[dict], Reply | str]  # the faulty reply to one request
    transient_n: int  # this many in a row still end in a complete brief
    reason: str  # what the failure line says when it never heals


def _json(request: dict) -> dict:
    return notes_for(request)


FAULTS = [
    Fault("429 with Retry-After", lambda r: rate_limited(retry_after=0.01), 3, "rate limited"),
    Fault("429 without Retry-After", lambda r: rate_limited(retry_after=None), 2, "rate limited"),
    Fault("500", lambda r: server_error(), 2, "HTTP 500"),
    Fault("502", lambda r: Reply(status=502, body=error_body("Bad gateway", "server_error")), 2, "HTTP 502"),
    Fault("503", lambda r: Reply(status=503, body=error_body("Service unavailable", "server_error")), 2, "HTTP 503"),
    Fault("connection reset", lambda r: connection_reset(), 2, "cannot reach"),
    Fault("hang past the timeout", lambda r: hang(TIMEOUT_S + 1.5), 2, "timed out"),
    Fault("slow trickle", lambda r: Reply(content=json.dumps(_json(r)), trickle=0.05), 2, "timed out"),
    Fault("invalid JSON", lambda r: '{"headline": "Cranes stop", "summary": ', 1, "not valid JSON"),
    Fault("missing required fields", lambda r: json.dumps({"headline": "Cranes stop"}), 1, "did not match the schema"),
    Fault("cut off by the length limit", lambda r: Reply(content=json.dumps(_json(r))[:80], finish_reason="length"), 1,
          "cut off"),
    Fault("empty reply", lambda r: "", 1, "not valid JSON"),
]
# Permanent only: never retried, so there is no transient variant.
PERMANENT = [
    Fault("refusal", lambda r: Reply(refusal="I can't help with that request."), 0, "refusal"),
    Fault("400", lambda r: bad_request("This model's maximum context length is 4096 tokens"), 0, "HTTP 400"),
]


def _scripted(fault: Fault, remaining: list[int]) -> Callable[[dict], Reply | str]:
    """Harbor's first ``remaining[0]`` calls get the fault; everything else a good reply."""

    def respond(request: dict) -> Reply | str:
        if is_harbor(request) and remaining[0] != 0:
            remaining[0] -= 1
            return fault.reply(request)
        return notes_responder(request)

    return respond


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_transient_fault_ends_in_a_complete_brief(fake_llm: FakeOpenAI, articles: list[Path], fault: Fault) -> None:
    """N faults in a row, then good replies: exit 0, both articles in the brief. Bound: 15 s."""
    fake_llm.responder = _scripted(fault, [fault.transient_n])
    started = time.monotonic()
    result = build(fake_llm, articles)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert not brief.failures and brief.stats.articles_in == 2
    assert {s.articles[0].title for s in brief.stories} == {
        "Harbor cranes stop after a power cut", "Orchard growers report a record apple harvest"}
    assert harbor_requests(fake_llm) == fault.transient_n + 1  # every fault was met, then one good reply
    assert "Traceback" not in result.stderr
    assert elapsed < 15, elapsed


@pytest.mark.parametrize("fault", FAULTS + PERMANENT, ids=[f.name for f in FAULTS + PERMANENT])
def test_permanent_fault_lists_the_article_and_exits_3(fake_llm: FakeOpenAI, articles: list[Path],
                                                       fault: Fault) -> None:
    """Harbor never gets a good reply: exit 3, harbor under failures with why, orchard built. Bound: 30 s."""
    fake_llm.responder = _scripted(fault, [-1])
    started = time.monotonic()
    result = CliRunner().invoke(main, ["build", *map(str, articles), "--base-url", fake_llm.base_url, "-f", "json"],
                                catch_exceptions=False)
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.stderr
    brief = Brief.model_validate_json(result.stdout)
    [failure] = brief.failures
    assert failure.source.endswith("harbor.txt") and fault.reason in failure.reason, failure.reason
    assert [s.articles[0].title for s in brief.stories] == ["Orchard growers report a record apple harvest"]
    failed_lines = [line for line in result.stderr.splitlines() if "harbor.txt" in line]
    assert len(failed_lines) == 1 and failed_lines[0].startswith("failed:"), result.stderr  # said once
    assert "Traceback" not in result.stderr
    # Bounded: at most 3 HTTP attempts per SDK round, 3 rounds for a rate limit.
    assert harbor_requests(fake_llm) <= 9
    if fault in PERMANENT:
        assert harbor_requests(fake_llm) == 1  # a refusal or a 400 is never asked again
    assert elapsed < 30, elapsed


@pytest.mark.parametrize("status,message", [(401, "Incorrect API key provided: sk-test-123"),
                                            (404, "The model `nope` does not exist")])
def test_nothing_can_work_is_one_line_and_exit_1(fake_llm: FakeOpenAI, articles: list[Path], status: int,
                                                 message: str) -> None:
    """A wrong key or model fails every call: stop at the first, one error line, exit 1. Bound: 10 s."""
    fake_llm.responder = lambda r: bad_request(message, status=status)
    started = time.monotonic()
    result = build(fake_llm, articles, "--api-key", "sk-test-123")
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and f"HTTP {status}" in lines[0], result.stderr
    assert "sk-test-123" not in result.stderr  # the server echoed the key; briefgen does not
    assert len(fake_llm.chat_requests) == 1  # not once per article: nothing else could work
    assert time.monotonic() - started < 10


def test_server_that_is_not_there_is_one_line(articles: list[Path]) -> None:
    """Nothing listens on the endpoint: exit 1, one line naming it. Bound: 15 s."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["build", *map(str, articles), "--base-url", url, "-q"], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "cannot reach" in lines[0], result.stderr
    assert time.monotonic() - started < 15


# ---- email ------------------------------------------------------------------------------
def write_config(tmp_path: Path, port: int, sources: list[Path], **smtp: object) -> Path:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none", "from": "brief@example.org",
                                 "to": ["reader@example.org"], "attempts": 3, "retry_wait_s": 0.01,
                                 "retry_max_wait_s": 0.05, "timeout_s": 3}
    values.update(smtp)
    lines = ['title = "Faults"', f"sources = {json.dumps([str(p) for p in sources])}", "", "[smtp]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = tmp_path / "briefgen.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def send(config: Path, fake_llm: FakeOpenAI) -> click.testing.Result:
    return CliRunner().invoke(main, ["send", "--config", str(config), "--base-url", fake_llm.base_url, "-q",
                                     "--date", "2026-03-02"], catch_exceptions=False)


class DropMidData(SmtpRecorder):
    """Closes the connection during DATA, before its final reply, the first ``drops`` times."""

    drops = 1

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.drops:
            self.drops -= 1
            server.transport.close()
            return "451 closing"  # never reaches the client: the connection is gone
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def dropping_server() -> object:
    from smtpserver import _start

    recorder = DropMidData()
    controller, port = _start(recorder)
    try:
        yield Server(recorder, port)
    finally:
        controller.stop()


def outbox_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "briefgen-home" / "outbox").rglob("*.eml"))


def test_smtp_refused_keeps_the_message_and_exits_1(fake_llm: FakeOpenAI, articles: list[Path],
                                                    tmp_path: Path) -> None:
    """Nobody listens on the SMTP port: retried, then exit 1 naming it; the .eml is kept. Bound: 15 s."""
    fake_llm.responder = notes_responder
    started = time.monotonic()
    result = send(write_config(tmp_path, free_port(), articles), fake_llm)
    assert result.exit_code == 1
    assert "connection refused" in result.stdout and "error: not delivered" in result.stderr
    assert len(outbox_files(tmp_path)) == 1
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("reply,delivered", [("451 4.3.0 Try again later", True),
                                             ("554 5.6.0 Message rejected", False)])
def test_smtp_4xx_is_retried_and_5xx_is_not(fake_llm: FakeOpenAI, smtp_server: Server, articles: list[Path],
                                            tmp_path: Path, reply: str, delivered: bool) -> None:
    """A 4xx at DATA heals on the retry (sent once); a 5xx is final (exit 1, kept). Bound: 15 s."""
    fake_llm.responder = notes_responder
    smtp_server.recorder.data = [reply]
    started = time.monotonic()
    result = send(write_config(tmp_path, smtp_server.port, articles), fake_llm)
    assert result.exit_code == (0 if delivered else 1), result.stdout + result.stderr
    assert len(smtp_server.recorder.messages) == (1 if delivered else 0)
    if not delivered:
        assert "554" in result.stdout and smtp_server.recorder.data == []  # asked once, not retried
        assert len(outbox_files(tmp_path)) == 1
    assert time.monotonic() - started < 15


def test_smtp_drop_mid_data_is_retried_and_delivered_once(fake_llm: FakeOpenAI, dropping_server: Server,
                                                          articles: list[Path], tmp_path: Path) -> None:
    """The connection drops during DATA: retried, delivered exactly once. Bound: 15 s."""
    fake_llm.responder = notes_responder
    started = time.monotonic()
    result = send(write_config(tmp_path, dropping_server.port, articles), fake_llm)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(dropping_server.recorder.messages) == 1
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("case", ["untrusted certificate", "no STARTTLS on a plain server"])
def test_smtp_tls_failure_is_permanent(fake_llm: FakeOpenAI, tls_server: Server, smtp_server: Server,
                                       articles: list[Path], tmp_path: Path, case: str) -> None:
    """TLS cannot be set up: not retried, exit 1 with the reason, message kept. Bound: 15 s."""
    fake_llm.responder = notes_responder
    port = tls_server.port if case == "untrusted certificate" else smtp_server.port
    started = time.monotonic()
    result = send(write_config(tmp_path, port, articles, security="starttls", attempts=3), fake_llm)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert ("TLS" in result.stdout or "does not support" in result.stdout), result.stdout
    assert not tls_server.recorder.messages and not smtp_server.recorder.messages
    assert len(outbox_files(tmp_path)) == 1
    assert time.monotonic() - started < 15
