"""Configuration: one pydantic model, one stated precedence.

Precedence, highest first: command-line flag > config file > environment > default.
The config file is ``--config FILE``, else ``./briefgen.toml``, else ``briefgen.toml`` in the
user config dir. Keys are the field names of :class:`Settings` (top level, or under a
``[briefgen]`` table). Environment variables are ``BRIEFGEN_<FIELD>`` plus the OpenAI
conventions ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` (lower priority than BRIEFGEN_*).

Where things live: ``BRIEFGEN_HOME`` when set holds everything (state, archive, logs, model
cache); otherwise platformdirs' user data dir (state, archive, logs) and user cache dir (the
assembled embedded model).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from briefgen.errors import ConfigError

APP = "briefgen"


class EmailSettings(BaseModel):
    """SMTP delivery (config table ``[smtp]``, or ``[email]``; env ``BRIEFGEN_SMTP_<FIELD>``).

    The password is never a setting: it comes from env ``BRIEFGEN_SMTP_PASSWORD`` or from the
    env file ``password_file`` (mode 0600), because cron has no login environment and a config
    file is often shared or committed.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str = "localhost"
    port: int | None = Field(None, ge=1, le=65535, description="default: 587 starttls, 465 ssl, 25 none")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password_file: Path | None = Field(None, description="env file (mode 0600) with BRIEFGEN_SMTP_PASSWORD=...")
    ca_file: Path | None = Field(None, description="extra CA certificates to trust (a private mail server)")
    sender: str | None = Field(None, alias="from", description='"Name <addr>" the brief comes from')
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list, description="who gets a one-line notice when a cron build fails")
    list_unsubscribe: str | None = Field(None, description="mailto: or https: URL for List-Unsubscribe")
    timeout_s: float = Field(30.0, gt=0)
    attempts: int = Field(4, ge=1, le=20, description="tries per send on transient failures")
    retry_wait_s: float = Field(2.0, ge=0, description="first backoff delay, doubled per try")
    retry_max_wait_s: float = Field(60.0, ge=0)

    def port_value(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class Price(BaseModel):
    """USD per 1M tokens of one model: input, output, and input served from the provider's prompt cache."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0, description="default: the input price")


class SourceSpec(BaseModel):
    """One ``[[sources]]`` table: a feed, a web page, or local files (a path or glob).

    ``kind`` "auto" decides by what a URL serves (a feed's XML/JSON, else a page); a path is
    always local files. ``include``/``exclude`` are keywords matched (case-insensitively) in
    an item's title and text; ``max_items`` caps the items one run takes from this source.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    url: str | None = None
    path: str | None = None
    kind: Literal["auto", "feed", "page", "files"] = "auto"
    max_items: int | None = Field(None, ge=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    language: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SourceSpec:
        if bool(self.url) == bool(self.path):
            raise ValueError("a [[sources]] table needs exactly one of url or path")
        return self

    @property
    def label(self) -> str:
        """How failures and `sources list` name it: its name and where it is."""
        where = self.url or self.path or ""
        return f"{self.name} ({where})" if self.name else where


class Settings(BaseModel):
    """Every setting briefgen reads, with its default."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # LLM backend
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset = OpenAI or embedded")
    model: str | None = Field(None, description="model name; default gpt-4o-mini on OpenAI")
    api_key: SecretStr | None = Field(None, description="API key (prefer the environment)")
    local_model: Path | None = Field(None, description="a GGUF file to serve instead of the embedded default")
    response_format: Literal["auto", "json_schema_strict", "json_schema", "json_object_schema", "json_object"] = "auto"
    context_tokens: int = Field(4096, ge=1024, description="model context window")
    max_output_tokens: int = Field(600, ge=64)
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="override every prompt's temperature (prompts default to 0)")
    timeout_s: float = Field(300.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10, description="transport retries (SDK)")
    threads: int | None = Field(None, description="threads for the embedded model (default: all cores)")
    cost_per_million_in: float | None = Field(None, ge=0, description="USD per 1M input tokens of the model in use "
                                              "(over the price table)")
    cost_per_million_out: float | None = Field(None, ge=0, description="USD per 1M output tokens of the model in use")
    prices: dict[str, Price] = Field(default_factory=dict, description="price table per model, over the shipped one "
                                     "([prices.\"gpt-4o-mini\"] input/output/cached_input per 1M tokens)")
    # paid APIs: concurrency, budget, batch (llm/pool.py, llm/cost.py, llm/batch.py)
    concurrency: int = Field(8, ge=1, le=256, description="LLM requests in flight (server backends; embedded: 1)")
    cpu_workers: int | None = Field(None, ge=0, le=64, description="worker processes that ground articles while calls "
                                    "are in flight (unset: cores - 1 for a server backend and 200+ articles; 0: none)")
    requests_per_minute: float | None = Field(None, gt=0, description="the provider's request limit (unset: none)")
    tokens_per_minute: float | None = Field(None, gt=0, description="the provider's token limit, prompt + max_tokens")
    max_cost: float | None = Field(None, ge=0, description="USD budget of one build: articles past it are left out")
    batch: bool = Field(False, description="summarize through the Batch API (OpenAI; half price, within 24 h)")
    batch_poll_s: float = Field(10.0, gt=0, description="seconds between polls of a batch's status")

    # brief
    title: str = "Daily brief"
    max_stories: int = Field(12, ge=1)
    max_key_points: int = Field(5, ge=1, le=10, description="key points shown per story (with adaptive_points: "
                                "for an article of about 15 sentences)")
    adaptive_points: bool = Field(True, description="a story shows points by its articles' length: one per three "
                                  "sentences, between max_key_points - 1 and twice it, summed over its outlets (at "
                                  "most 12); false: max_key_points, one more per further outlet")
    points_per_article: int = Field(1, ge=1, le=5, description="key points the model writes per article; code adds "
                                    "the article's most newsworthy sentences verbatim up to max_key_points (1: measured "
                                    "as many key facts as 3 on the seeds, 17% fewer output tokens, the slowest part of a "
                                    "local model)")
    unverified: Literal["drop", "mark"] = "drop"
    crosscheck: bool = Field(True, description="short calls per story of several outlets write the facts they "
                             "share, each one point citing every outlet (prompt crosscheck); a fact is kept only "
                             "when both outlets' sentences support it; the embedded model is asked one pair a call")
    crosscheck_pairs_per_call: int | None = Field(None, ge=1, le=4, description="candidate pairs a cross-check call "
                                                  "holds (default: 1 for the embedded model, which mixes pairs up "
                                                  "when shown several; 4 for a server or OpenAI)")
    cluster_judge: bool = Field(False, description="one short yes/no call per pair of articles the clustering "
                                "features barely decide (prompt judge); off by default: on the labeled set the embedded "
                                "model judged 19 of 19 such pairs right and changed no story (bench/RESULTS.md)")
    sources: list[str | SourceSpec] = Field(
        default_factory=list, description="default sources (cron): paths, globs, URLs or [[sources]] tables")

    # fetching feeds and pages (sources/fetch.py)
    fetch_pages: bool = Field(True, description="fetch the page of a feed item that carries only a snippet")
    fetch_allow_private: bool = Field(False, description="allow loopback/private/link-local addresses (SSRF guard off)")
    fetch_allow_hosts: list[str] = Field(default_factory=list, description="hosts, addresses or networks (CIDR) "
                                         "allowed although private, e.g. an intranet feed server")
    fetch_timeout_s: float = Field(20.0, gt=0, description="one request, connect to last byte")
    fetch_deadline_s: float = Field(120.0, gt=0, description="all fetching of one run")
    fetch_per_host: int = Field(2, ge=1, le=16, description="requests in flight to one host")
    fetch_concurrency: int = Field(8, ge=1, le=64, description="requests in flight in all")
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    feed_max_items: int = Field(50, ge=1, description="items a run takes from one feed (newest first)")
    user_agent: str | None = Field(None, description="User-Agent of feed and page requests")

    # folders and state
    home: Path | None = Field(None, description="holds everything when set (BRIEFGEN_HOME)")
    model_dir: Path | None = Field(None, description="where the embedded model is assembled (shared by tests)")
    state_path: Path | None = Field(None, description="SQLite state file")
    prompts_dir: Path | None = None
    templates_dir: Path | None = None
    cache: bool = Field(True, description="reuse cached LLM replies")

    # delivery
    smtp: EmailSettings = Field(default_factory=EmailSettings, description="email delivery ([smtp] table)")

    # ---- derived locations -------------------------------------------------------------
    def data_dir(self) -> Path:
        # BRIEFGEN_HOME holds everything, for Settings built in code too (not only by
        # load_settings): a library caller's or a test's state never lands in the user's.
        home = self.home or os.environ.get("BRIEFGEN_HOME")
        return Path(home) if home else Path(platformdirs.user_data_dir(APP))

    def cache_dir(self) -> Path:
        if self.model_dir:
            return Path(self.model_dir)
        if self.home:
            return Path(self.home) / "cache"
        return Path(platformdirs.user_cache_dir(APP))

    def state_file(self) -> Path:
        return Path(self.state_path) if self.state_path else self.data_dir() / "state.sqlite3"

    def api_key_value(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None


# Everything briefgen keeps (state, archive, outbox) is its user's alone: briefs may be
# private and the state holds every prompt and reply.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as owner-only folders; an existing folder is left as it is."""
    for parent in reversed([path, *path.parents]):
        if not parent.exists():
            try:
                parent.mkdir(mode=PRIVATE_DIR)
            except FileExistsError:  # another run made it meanwhile
                pass
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write an owner-only file so that it is either complete or absent, even across a crash."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# Command-line options whose value is a secret: kept out of the run log (store.start_run).
SECRET_OPTIONS = ("--api-key",)


def redact_argv(argv: list[str]) -> list[str]:
    """``argv`` with the value of every secret option replaced by ***."""
    out: list[str] = []
    hide = False
    for arg in argv:
        if hide:
            out.append("***")
            hide = False
        elif arg in SECRET_OPTIONS:
            out.append(arg)
            hide = True
        elif arg.startswith(tuple(f"{o}=" for o in SECRET_OPTIONS)):
            out.append(arg.split("=", 1)[0] + "=***")
        else:
            out.append(arg)
    return out


ENV_ALIASES: dict[str, list[str]] = {
    # BRIEFGEN_* first: it is briefgen's own and more specific than the OpenAI convention.
    "api_key": ["BRIEFGEN_API_KEY", "OPENAI_API_KEY"],
    "base_url": ["BRIEFGEN_BASE_URL", "OPENAI_BASE_URL"],
}


def split_env_list(raw: str) -> list[str]:
    """A list from one variable, split on os.pathsep; a URL's "scheme://" is not a separator."""
    out: list[str] = []
    for piece in raw.split(os.pathsep):
        if out and os.pathsep == ":" and (
                (piece.startswith("//") and out[-1].lower() in ("http", "https"))
                # a port: "http://host" then "8080/path"
                or ("://" in out[-1] and "/" not in out[-1].split("://", 1)[1] and re.match(r"\d+(/|$)", piece))):
            out[-1] += ":" + piece
        elif piece:
            out.append(piece)
    return out


def _env_values(env: dict[str, str]) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    for name, field in Settings.model_fields.items():
        if name == "smtp":
            continue  # a table: read field by field below
        for var in ENV_ALIASES.get(name, [f"BRIEFGEN_{name.upper()}"]):
            raw = env.get(var)
            if raw not in (None, ""):
                value: Any = raw
                ann = str(field.annotation)
                if "list" in ann:
                    value = split_env_list(raw)
                out[name] = (value, f"env {var}")
                break
    smtp: dict[str, Any] = {}
    for name, field in EmailSettings.model_fields.items():
        raw = env.get(f"BRIEFGEN_SMTP_{name.upper()}")
        if name == "sender" and not raw:
            raw = env.get("BRIEFGEN_SMTP_FROM")
        if raw not in (None, ""):
            smtp[name] = [s.strip() for s in raw.split(",") if s.strip()] if "list" in str(field.annotation) else raw
    if smtp:
        out["smtp"] = (smtp, "env BRIEFGEN_SMTP_*")
    return out


def config_candidates(explicit: Path | None) -> list[Path]:
    if explicit is not None:
        return [explicit]
    return [Path("briefgen.toml"), Path(platformdirs.user_config_dir(APP)) / "briefgen.toml"]


def _file_values(path: Path | None) -> tuple[dict[str, tuple[Any, str]], Path | None]:
    for candidate in config_candidates(path):
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{candidate}: cannot read config: {exc}") from exc
            table = data.get("briefgen", data)
            if not isinstance(table, dict):
                raise ConfigError(f"{candidate}: [briefgen] must be a table")
            unknown = sorted(set(table) - set(Settings.model_fields) - {"smtp", "email"})
            if unknown:
                raise ConfigError(f"{candidate}: unknown setting(s): {', '.join(unknown)}")
            base = candidate.parent
            table = _smtp_table(table, base, candidate)
            values: dict[str, tuple[Any, str]] = {}
            if isinstance(table.get("sources"), list):
                table = {**table, "sources": [_source_entry(v, base) for v in table["sources"]]}
            for key, value in table.items():
                if key in Settings.model_fields:
                    if key in {"local_model", "model_dir", "state_path", "prompts_dir", "templates_dir", "home"} and isinstance(value, str):
                        value = str((base / Path(value).expanduser()).resolve())
                    values[key] = (value, f"file {candidate}")
            return values, candidate
        if path is not None:
            raise ConfigError(f"{candidate}: config file not found")
    return {}, None


def _source_entry(value: Any, base: Path) -> Any:
    """A [[sources]] table's path is relative to the config file (cron runs elsewhere)."""
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        path = Path(value["path"]).expanduser()
        return {**value, "path": str(path if path.is_absolute() else Path(os.path.abspath(base / path)))}
    return value


def _smtp_table(table: dict[str, Any], base: Path, candidate: Path) -> dict[str, Any]:
    """Fold ``[email]`` into ``[smtp]`` and make its file paths relative to the config file."""
    if "smtp" not in table and "email" not in table:
        return table
    merged: dict[str, Any] = {}
    for key in ("email", "smtp"):
        part = table.get(key, {})
        if not isinstance(part, dict):
            raise ConfigError(f"{candidate}: [{key}] must be a table")
        merged.update(part)
    if "password" in merged:
        raise ConfigError(f"{candidate}: no SMTP password in the config file; use env BRIEFGEN_SMTP_PASSWORD "
                          "or password_file (an env file of mode 0600)")
    for key in ("password_file", "ca_file"):
        if isinstance(merged.get(key), str):
            merged[key] = str((base / Path(merged[key]).expanduser()).resolve())
    out = {k: v for k, v in table.items() if k != "email"}
    out["smtp"] = merged
    return out


def load_settings(
    flags: dict[str, Any] | None = None,
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Merge defaults < environment < config file < flags; return settings and each value's origin."""
    env = dict(os.environ) if env is None else env
    merged: dict[str, tuple[Any, str]] = {}
    merged.update(_env_values(env))
    file_values, _ = _file_values(config_path)
    env_smtp = merged.get("smtp", ({}, ""))
    merged.update(file_values)
    if "smtp" in file_values and env_smtp[0]:
        # A table merges key by key (file over env), not as one value.
        merged["smtp"] = ({**env_smtp[0], **file_values["smtp"][0]}, f"{file_values['smtp'][1]} + {env_smtp[1]}")
    for key, value in (flags or {}).items():
        if value is not None and value != () and value != []:
            if key == "smtp" and isinstance(value, dict) and "smtp" in merged:
                value = {**merged["smtp"][0], **value}
            merged[key] = (value, "flag")
    try:
        settings = Settings(**{k: v for k, (v, _) in merged.items()})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        origin = merged.get(str(first["loc"][0]), (None, "?"))[1] if first["loc"] else "?"
        raise ConfigError(f"setting {key!r} ({origin}): {first['msg']}") from exc
    origins = {name: "default" for name in Settings.model_fields}
    origins.update({k: o for k, (_, o) in merged.items()})
    return settings, origins
