"""Structured logging with structlog, rendered by the standard library's handlers.

structlog is configured once, at import, to hand every event to the ``logging`` module; so
structlog events and plain ``logging`` records (uvicorn, SQLAlchemy, Alembic) share one handler,
one format and one level. ``configure_logging`` installs that handler on the root logger:
JSON lines (``LOG_FORMAT=json``, the default under ``ENVIRONMENT=production``) or readable
console lines. Tracebacks are rendered without local variables, so no secret reaches a log.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.types import Processor

_HANDLER_MARK = "_bazaar_handler"

# Added to plain ``logging`` records and structlog events alike.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


_configure_structlog()


class EventLog:
    """A logger for one hot event (the request line): the event dict is built here, as
    structlog's chain would build it (``logger``, ``level``, ``timestamp``), and handed straight
    to the standard ``logging`` logger, whose handlers format it like any other structlog event.

    When the only handler is Bazaar's own JSON handler (``LOG_FORMAT=json``, production), the
    line is rendered with orjson and written to its stream directly: exactly what the handler
    would write, without a ``LogRecord``, its copy in the formatter and the processor chain
    (~45 of the ~60 us a request line cost, docs/adr/0020-native-read-path.md). Any other
    handler (a test's capture, a second destination) sends every line the standard way."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(name)
        self._extra = {"_logger": self._logger, "_name": "info"}
        self._root = logging.getLogger()

    def info(self, event: str, **fields: Any) -> None:
        logger = self._logger
        if not logger.isEnabledFor(logging.INFO):
            return
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event_dict = {"event": event, **fields, "logger": self.name, "level": "info", "timestamp": now}
        handlers = self._root.handlers
        sink = _json_sink
        if sink is not None and len(handlers) == 1 and handlers[0] is sink and not logger.handlers:
            line = orjson.dumps(event_dict, default=str).decode() + "\n"
            with sink.lock or _NO_LOCK:
                sink.stream.write(line)
                sink.stream.flush()
            return
        logger.info(event_dict, extra=self._extra)


# Bazaar's JSON handler while it is installed (``configure_logging``), else None.
_json_sink: logging.StreamHandler[TextIO] | None = None
_NO_LOCK = contextlib.nullcontext()


def get_logger(name: str) -> Any:
    """A structlog logger that writes through the standard ``logging`` logger ``name``."""
    return structlog.stdlib.get_logger(name)


def _drop_color_message(_logger: Any, _name: str, event: Any) -> Any:
    event.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
    return event


def _orjson_dumps(event: Any, **_: Any) -> str:
    """orjson renders a request line several times faster than ``json.dumps``; anything it
    cannot serialise natively falls back to ``str``."""
    return orjson.dumps(event, default=str).decode()


def formatter(fmt: Literal["console", "json"], *, colors: bool = False) -> logging.Formatter:
    renderer: Processor
    if fmt == "json":
        final: list[Processor] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_orjson_dumps),
        ]
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        )
        final = [structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]
    return structlog.stdlib.ProcessorFormatter(
        processors=final,
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _drop_color_message],
    )


def configure_logging(
    level: str = "INFO", fmt: Literal["console", "json"] = "console", stream: TextIO | None = None
) -> logging.Handler:
    """Installs (or replaces) Bazaar's handler on the root logger; other handlers, such as
    pytest's capture, are left alone. Uvicorn's loggers propagate to it."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(fmt, colors=fmt == "console" and stream.isatty()))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    global _json_sink
    _json_sink = handler if fmt == "json" else None
    # No record needs its caller's file and line, thread or process names (the formatters do not
    # show them): gathering them costs a frame walk and several calls per line.
    logging._srcfile = None  # the logging docs' "Optimization" section
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # The request middleware logs every request with more detail than uvicorn's access log.
    logging.getLogger("uvicorn.access").disabled = True
    return handler
