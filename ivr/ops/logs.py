"""Log set-up for every process: text or JSON lines, each line logged during a call carrying its context.

The FastAGI server runs each call in its own task and sets `ivr.agi.server.current_request` there; the
filter below reads it, so any module's log line during a call gets `uniqueid` and `tenant` (the `tenant=`
argument of the AGI URL) without passing them around. Other work (a comment job, a callback) can set its own
context with `log_context(...)`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from ivr.agi.server import current_request

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(call_context)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")

_extra_context: ContextVar[dict[str, str] | None] = ContextVar("ivr_log_context", default=None)


@contextlib.contextmanager
def log_context(**fields: str) -> Iterator[None]:
    """Lines logged inside the block (in this task) carry these fields, e.g. uniqueid and tenant."""
    merged = {**(_extra_context.get() or {}), **fields}
    token = _extra_context.set(merged)
    try:
        yield
    finally:
        _extra_context.reset(token)


def current_context() -> dict[str, str]:
    fields: dict[str, str] = {}
    request = current_request.get()
    if request is not None:
        fields["uniqueid"] = request.uniqueid
        tenant = request.query.get("tenant")
        if tenant:
            fields["tenant"] = tenant
    fields.update(_extra_context.get() or {})
    return fields


class CallContextFilter(logging.Filter):
    """Adds the call's context to each record: as attributes (JSON) and as `call_context` text."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current_context()
        for key, value in fields.items():
            setattr(record, key, value)
        record.call_context = (
            " [" + " ".join(f"{key}={value}" for key, value in fields.items()) + "]" if fields else ""
        )
        return True


def configure_logging(level: str = "INFO", log_format: LogFormat = "text") -> None:
    """Log to stderr, as text or JSON lines, with the call context. Like logging.basicConfig, it leaves a
    root logger that someone else has set up (a test runner) alone; it replaces its own earlier set-up."""
    root = logging.getLogger()
    if any(not isinstance(handler, _IvrHandler) for handler in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


def make_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to `stream` (default: whatever sys.stderr is at each line) in that format."""
    handler = _IvrHandler(stream)
    handler.addFilter(CallContextFilter())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                list(JSON_FIELDS),
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                reserved_attrs=[*_reserved_attributes(), "call_context"],
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


class _IvrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that, without a stream of its own, writes to the current sys.stderr (which a test
    runner or click's CliRunner may swap)."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream)
        self._own_stream = stream

    @property
    def stream(self) -> TextIO:
        return self._own_stream if self._own_stream is not None else sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:
        self._own_stream = value


def _reserved_attributes() -> list[str]:
    from pythonjsonlogger.core import RESERVED_ATTRS

    return list(RESERVED_ATTRS)
