"""One exception root for briefgen.

    BriefgenError                 every error briefgen raises on purpose
    ├── ConfigError               bad config file, option or environment value
    │   └── MissingSourcesError   no sources given and none configured (a usage error, exit 2)
    ├── InputError                a source that cannot be read or parsed (carries .source)
    │   ├── NoArticlesError       the sources held no article at all
    │   └── FetchError            a feed or page URL that could not be fetched (refused, 404, too big...)
    ├── LLMError                  a call to the model failed (carries .attempts)
    │   ├── LLMOutputError        the reply never validated (invalid JSON, cut off, wrong fields)
    │   ├── CapabilityError       the backend cannot do what was asked (never retried)
    │   └── BackendRefusedError   401/403/404: wrong key, endpoint or model; no call can work
    ├── ModelError                the embedded model is missing, corrupt or will not start
    ├── PromptError               a prompt/template file is broken (carries .path and .line)
    ├── StateError                the SQLite state cannot be opened or migrated
    └── DeliveryError             the brief could not be delivered (SMTP, crontab, lock)

Third-party exceptions are translated where they enter (``raise LLMError(...) from exc``);
the CLI turns any ``BriefgenError`` into a one-line message in exactly one place.
"""

from __future__ import annotations


class BriefgenError(Exception):
    """Root of every error briefgen raises on purpose."""

    exit_code = 1


class ConfigError(BriefgenError):
    """A configuration value (flag, file, environment) is invalid."""


class MissingSourcesError(ConfigError):
    """Nothing to read: no sources on the command line and none in the config file."""

    exit_code = 2


class InputError(BriefgenError):
    """A source (file, folder, URL, stdin) cannot be read or parsed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class NoArticlesError(InputError):
    """The sources held no article to build a brief from."""


class FetchError(InputError):
    """A URL could not be fetched: refused by the address guard, an HTTP error, a cap passed."""


class LLMError(BriefgenError):
    """A model call failed after its retries."""

    def __init__(self, message: str, *, attempts: int = 1, task: str | None = None) -> None:
        self.attempts = attempts
        self.task = task
        super().__init__(message)


class LLMOutputError(LLMError):
    """The model's reply never validated against the expected schema."""


class CapabilityError(LLMError):
    """The backend rejected a request it cannot serve (e.g. an unsupported response_format)."""


class BackendRefusedError(LLMError):
    """The backend refuses every call (a wrong key, endpoint or model): the run stops at the first."""


class ModelError(BriefgenError):
    """The embedded model is missing, does not verify, or its server will not start."""


class PromptError(BriefgenError):
    """A prompt or output template is broken."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class StateError(BriefgenError):
    """The SQLite state cannot be opened, migrated or written."""


class DeliveryError(BriefgenError):
    """The brief could not be delivered (email, crontab, run lock)."""
