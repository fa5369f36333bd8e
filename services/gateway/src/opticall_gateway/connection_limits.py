"""Limits on what a client connection may take from the gateway (slowloris, oversized heads).

uvicorn's httptools protocol, with what it lacks as a public edge:

- the request line and headers must arrive within ``GATEWAY_HEADER_TIMEOUT`` seconds of the
  connection opening or of the request's first byte (408, then closed): a client trickling
  a header a byte at a time holds a connection for that long at most;
- the body must arrive within ``GATEWAY_BODY_TIMEOUT`` of the headers (408 if no answer has
  started, then closed; the handler sees the client gone);
- at most ``GATEWAY_MAX_HEADER_BYTES`` of request head and ``GATEWAY_MAX_HEADERS`` header
  fields (431, then closed). The counts come from the parser's own callbacks and from the
  bytes fed to it, so an 8 MiB header or 20,000 header lines are refused after the first
  ``max_header_bytes`` (plus at most one read), never parsed whole.

Parsing stays llhttp's (through httptools), as uvicorn runs it; an idle keep-alive connection
is closed by uvicorn's own ``timeout_keep_alive``. The ingress in front should have limits of
its own (README, deploy/k8s/base/ingress.yaml); these hold when it does not.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from opticall_gateway.config import get_settings


class _HeadTooLarge(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn passes the class (``--http``); the limits come from the gateway's settings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.max_header_bytes = settings.max_header_bytes
        self.max_headers = settings.max_headers
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._refusal: tuple[int, str] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # --- connection -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_header_bytes and self.parser is not None:
            # A header value still being gathered by the parser: refuse before it grows.
            self._refuse(431, "request header fields too large")

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol has its own pings and limits
        super().handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to any parser error, ours (raised in on_header) included; never
        # written into the middle of a pipelined request's answer.
        self._refuse(*(self._refusal or (400, msg)))

    # --- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._arm(self.header_timeout, self._head_timed_out)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refusal = (431, f"more than {self.max_headers} header fields")
            raise _HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.body_timeout, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # --- internals --------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        self._refuse(408, "request headers not received in time")

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            # The handler waiting for the body is told the client is gone, and answers nothing.
            cycle.disconnected = True
            cycle.message_event.set()
            self._send_error(408, "request body not received in time")
        else:
            self.transport.close()  # an answer is under way: all that is left is to cut it

    def _refuse(self, status: int, msg: str) -> None:
        self._refusal = (status, msg)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            self.transport.close()  # a pipelined request's answer is still being written
        else:
            self._send_error(status, msg)

    def _send_error(self, status: int, msg: str) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        body = msg.encode("ascii")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(head))
        self.transport.close()
