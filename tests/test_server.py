"""Tests for briefgen.llm.server: the llama-cpp-python server's lifecycle.

Fast tests use a tiny stand-in server (a stdlib HTTP server that answers /v1/models); tests
marked ``slow`` run the real embedded model and share one server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
from pydantic import BaseModel, Field

from briefgen.llm import server as srv
from briefgen.config import Settings
from briefgen.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent


# ---- helpers ---------------------------------------------------------------------------------


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(home=tmp_path / "home", model_dir=tmp_path / "cache", **extra)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_dead(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


# ---- server lifecycle with a stand-in server ---------------------------------------------------

FAKE_SERVER = textwrap.dedent(
    """
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"object": "list", "data": [{"id": "fake"}]}'
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a): pass
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """
)


class FakeServer(srv.LocalServer):
    """LocalServer whose command is a tiny HTTP server: exercises start/stop without a model."""

    script = FAKE_SERVER

    def command(self, model: Path, port: int) -> list[str]:
        return [sys.executable, "-c", self.script, str(port)]


@pytest.fixture
def no_llama_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(srv, "require_server_installed", lambda: None)


def test_fake_server_starts_answers_and_stops(tmp_path: Path, no_llama_check: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # the readiness probe must ignore it
    server = FakeServer(settings_for(tmp_path), model_path=tmp_path / "m.gguf")
    with server:
        url = server.start()
        assert server.start() == url  # idempotent
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with no_proxy.open(url + "/models", timeout=5) as resp:
            assert json.load(resp)["data"][0]["id"] == "fake"
        pid = server.pid
        assert pid is not None and os.getpgid(pid) == pid  # its own process group
        assert server.log_path is not None and server.log_path.parent == tmp_path / "home" / "logs"
    assert wait_dead(pid, 2)
    assert server.base_url is None
    server.stop()  # idempotent


def test_server_that_exits_fails_fast_with_its_log(tmp_path: Path, no_llama_check: None) -> None:
    server = FakeServer(settings_for(tmp_path), model_path=tmp_path / "m.gguf")
    server.script = "import sys; print('llama_load_model: boom'); sys.exit(3)"
    started = time.monotonic()
    with pytest.raises(ModelError, match="exited with code 3 while starting: llama_load_model: boom"):
        server.start()
    assert time.monotonic() - started < 10
    assert server.pid is None


def test_server_that_never_answers_times_out_and_is_killed(tmp_path: Path, no_llama_check: None) -> None:
    server = FakeServer(settings_for(tmp_path), model_path=tmp_path / "m.gguf", startup_timeout=1.0)
    server.script = "import time; print('loading', flush=True); time.sleep(60)"
    seen: list[int] = []
    original = server._wait_ready
    server._wait_ready = lambda port, log: (seen.append(server._proc.pid), original(port, log))  # type: ignore[method-assign, assignment, union-attr]
    with pytest.raises(ModelError, match="did not answer within 1 s"):
        server.start()
    assert seen and wait_dead(seen[0], 2)


def test_server_started_from_a_finished_thread_survives(tmp_path: Path, no_llama_check: None) -> None:
    server = FakeServer(settings_for(tmp_path), model_path=tmp_path / "m.gguf")
    worker = threading.Thread(target=server.start)
    worker.start()
    worker.join()
    try:
        time.sleep(0.5)  # PDEATHSIG would have fired when the worker thread ended
        assert server.running
    finally:
        server.stop()


def test_llama_cpp_missing_gives_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = srv.importlib.util.find_spec
    monkeypatch.setattr(srv.importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    with pytest.raises(ModelError, match=r"llama_cpp not installed\); install it with: pip install 'briefgen\[local\]'"):
        srv.LocalServer(settings_for(tmp_path)).start()


def test_command_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cmd = srv.LocalServer(settings_for(tmp_path, context_tokens=2048, threads=3)).command(Path("/m/x.gguf"), 4242)
    args = dict(zip(cmd[3::2], cmd[4::2]))
    assert cmd[1:3] == ["-m", "briefgen.llm.serve"]  # llama_cpp.server's main, grammar applied lazily
    assert args["--host"] == "127.0.0.1" and args["--port"] == "4242"
    assert args["--n_ctx"] == "2048" and args["--n_threads"] == "3" and args["--n_batch"] == "512"
    assert "--chat_format" not in args  # the GGUF's own template
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("API_KEY", "secret")
    monkeypatch.setenv("CACHE", "true")
    env = srv._child_env(4242)
    assert env["HOST"] == "127.0.0.1" and env["PORT"] == "4242"
    assert "API_KEY" not in env and "CACHE" not in env and "PATH" in env


PARENT_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from briefgen.llm import server as srv
    from briefgen.config import Settings
    settings = Settings(home={home!r}, model_dir={cache!r})
    if {fake!r}:
        srv.require_server_installed = lambda: None
        class S(srv.LocalServer):
            def command(self, model, port):
                return [sys.executable, "-c", {script!r}, str(port)]
        server = S(settings, model_path=Path("m.gguf"))
    else:
        server = srv.LocalServer(settings)
    server.start()
    print(server.pid, flush=True)
    time.sleep(600)
    """
)


def run_parent_and_kill_it(tmp_path: Path, fake: bool, cache: str, server_script: str = FAKE_SERVER) -> int:
    """Start a server from a child python, SIGKILL that python, return the server's pid."""
    script = PARENT_SCRIPT.format(root=str(ROOT), home=str(tmp_path / "home"), cache=cache, fake=fake, script=server_script)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()  # type: ignore[union-attr]
        assert line.strip().isdigit(), f"parent did not start a server: {line!r}"
        server_pid = int(line)
        assert alive(server_pid)
    finally:
        parent.send_signal(signal.SIGKILL)  # no atexit, no finally: only PDEATHSIG can help
        parent.wait()
    return server_pid


def assert_dies(server_pid: int, timeout: float) -> None:
    try:
        assert wait_dead(server_pid, timeout), "server outlived its SIGKILLed parent"
    finally:
        if alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)  # never leave the orphan behind a failed test


def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    assert_dies(run_parent_and_kill_it(tmp_path, fake=True, cache=str(tmp_path / "cache")), 5)


def test_a_server_busy_with_a_request_dies_with_a_killed_parent(tmp_path: Path) -> None:
    # uvicorn takes SIGTERM as "finish the request in flight first": on a loaded machine a
    # generation runs for minutes, and the server outlived its killed parent. A server that
    # ignores SIGTERM stands for it; the parent-death signal must be one it cannot ignore.
    ignoring = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + FAKE_SERVER
    assert_dies(run_parent_and_kill_it(tmp_path, fake=True, cache=str(tmp_path / "cache"), server_script=ignoring), 5)


# ---- the real embedded model (slow) -------------------------------------------------------------

REAL_CACHE = platformdirs.user_cache_dir("briefgen")


class Headline(BaseModel):
    headline: str = Field(max_length=120)
    people: list[str] = Field(max_length=3)


HEADLINE_SCHEMA = {
    "type": "object",
    "properties": {
        "headline": {"type": "string", "maxLength": 120},
        "people": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 3},
    },
    "required": ["headline", "people"],
}


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[srv.LocalServer]:
    settings = Settings(home=tmp_path_factory.mktemp("local-home"), model_dir=Path(REAL_CACHE))
    server = srv.LocalServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
def test_real_server_listens_on_loopback_only(real_server: srv.LocalServer) -> None:
    port = real_server.port
    assert real_server.base_url == f"http://127.0.0.1:{port}/v1"
    listening = [
        line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    ]
    assert listening == [f"0100007F:{port:04X}"]


@pytest.mark.slow
def test_real_server_answers_json_object_with_schema(real_server: srv.LocalServer) -> None:
    import openai

    client = openai.OpenAI(base_url=real_server.base_url, api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="local",
        messages=[
            {"role": "system", "content": "Reply with JSON only."},
            {"role": "user", "content": "Article: Chancellor Olaf Scholz met President Emmanuel Macron in Paris "
             "on Tuesday to discuss energy prices. Give a headline and the people named."},
        ],
        response_format={"type": "json_object", "schema": HEADLINE_SCHEMA},  # type: ignore[typeddict-item]
        temperature=0,
        max_tokens=120,
    )
    assert reply.choices[0].finish_reason == "stop"
    parsed = Headline.model_validate_json(reply.choices[0].message.content or "")
    assert parsed.headline
    # The server rejects json_schema (HTTP 500 from its request validation): never send it.
    with pytest.raises(openai.APIStatusError, match="Input should be 'text' or 'json_object'") as info:
        client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "hi"}],
            response_format={"type": "json_schema", "json_schema": {"name": "h", "schema": HEADLINE_SCHEMA}},
            max_tokens=5,
        )
    assert info.value.status_code == 500


@pytest.mark.slow
def test_real_server_reuses_an_identical_prefix(real_server: srv.LocalServer) -> None:
    import openai

    client = openai.OpenAI(base_url=real_server.base_url, api_key="unused", max_retries=0)
    fixed = "You summarize news. " + " ".join(f"Rule {i}: keep facts exact and short." for i in range(40))
    for question in ("Say A.", "Say B."):
        client.chat.completions.create(
            model="local", messages=[{"role": "system", "content": fixed}, {"role": "user", "content": question}],
            max_tokens=3, temperature=0,
        )
    assert real_server.log_path is not None
    hits = [line for line in real_server.log_path.read_text().splitlines() if "prefix-match hit" in line]
    assert hits, "the second prompt re-processed its identical prefix"
    assert int(hits[-1].split("Llama.generate: ")[1].split()[0]) > 300


@pytest.mark.slow
def test_real_server_stop_leaves_no_process(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", model_dir=Path(REAL_CACHE))
    with srv.LocalServer(settings) as server:
        pid, port = server.pid, server.port
        assert pid is not None and alive(pid)
    assert wait_dead(pid, 1)
    found = subprocess.run(["pgrep", "-f", f"{srv.SERVER_MODULE} .*--port {port} "], capture_output=True, text=True)
    assert found.stdout.strip() == ""


@pytest.mark.slow
def test_real_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    assert_dies(run_parent_and_kill_it(tmp_path, fake=False, cache=REAL_CACHE), 15)
