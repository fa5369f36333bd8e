"""configure_logging: one JSON handler at the root, and no per-request access log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from opticall_common.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    access_handlers, propagate = access.handlers[:], access.propagate
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    access.handlers[:] = access_handlers
    access.propagate = propagate


def test_uvicorn_errors_reach_the_json_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("svc", "INFO", json=True)
    logging.getLogger("uvicorn.error").warning("port in use")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["msg"] == "port in use" and line["service"] == "svc"


def test_no_access_log_line_per_request(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("svc", "INFO", json=True)
    access = logging.getLogger("uvicorn.access")
    # uvicorn logs a request whenever this logger has a handler in reach (hasHandlers()).
    assert not access.hasHandlers()
    access.info('127.0.0.1 - "GET /shifts HTTP/1.1" 200')
    assert capsys.readouterr().out == ""
