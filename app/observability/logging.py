"""Structured logs: one JSON object per line, from the standard library's logging.

Each line has `time`, `level`, `logger`, `message` and, while a request is served, its
`request_id`; the access line of each request adds `method`, `path` (the route template,
never the raw URL with its query), `status`, `duration_ms` and `actor` (the API key's
name, when known). Anything that looks like an API key secret or a bearer token is
replaced by `[REDACTED]` before a line is written, whatever logged it.

`configure_logging` is applied once per process; `raci serve` hands `log_config` to
uvicorn so that its own loggers (and every worker's) write the same lines.
"""

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any

from app.observability import request_id

# Attributes every LogRecord has; anything else on a record was passed as `extra=`.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
# Not context: the request id is written first; uvicorn adds a coloured copy of its message.
_IGNORED = _STANDARD_ATTRIBUTES | {"request_id", "color_message", "taskName"}
# The context fields of the access line, in the order they are written.
CONTEXT_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "actor")

REDACTED = "[REDACTED]"
_SECRETS = re.compile(
    r"(?i:bearer)\s+[^\s\"',;]+"  # an Authorization header's value
    r"|raci_[A-Za-z0-9_-]{16,}"  # an API key secret (app.auth.secrets.SECRET_PREFIX)
)


def redact(text: str) -> str:
    """`text` with bearer tokens and API key secrets replaced by [REDACTED]."""
    return _SECRETS.sub(REDACTED, text)


def _context(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    rid = getattr(record, "request_id", None) or request_id.current.get()
    if rid is not None:
        fields["request_id"] = rid
    for name, value in vars(record).items():
        if name not in _IGNORED and value is not None:
            fields[name] = value
    return fields


def _scrub(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update({name: _scrub(value) for name, value in _context(record).items()})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal (RACI_LOG_JSON=false): the same fields, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        context = " ".join(f"{k}={_scrub(v)}" for k, v in _context(record).items())
        line = f"{stamp} {record.levelname:<7} {record.name}: {redact(record.getMessage())}"
        if context:
            line += f" [{context}]"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def log_config(level: str = "INFO", json_lines: bool = True) -> dict[str, Any]:
    """A `logging.config.dictConfig` document: every logger, uvicorn's included, writes to
    stderr through one formatter. uvicorn's access log is left to the app's own access line,
    which names the route template and the request id (and no query string)."""
    level = level.upper()
    formatter = "json" if json_lines else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"()": f"{__name__}.TextFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "sqlalchemy": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Apply `log_config` to this process."""
    logging.config.dictConfig(log_config(level, json_lines))


def configure_if_unconfigured(level: str, json_lines: bool) -> None:
    """For `uvicorn app.main:app` run directly: if nothing configured the root logger, do.

    Under `raci serve` (its log_config) and under pytest (its capture handlers) the root
    logger already has handlers, and they are left alone.
    """
    if not logging.getLogger().handlers:
        configure_logging(level, json_lines)
