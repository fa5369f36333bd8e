"""Vendor adapters: each turns one ACD's native agent-state payload into canonical events.

An adapter is ``parse(body, content_type, settings) -> list[dict]`` returning dicts that
``AgentEvent`` validates; it raises ``AdapterError`` for a payload it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opticall_realtime.adapters import amazon_connect, avaya, cisco_uccx, cisco_webex, genesys
from opticall_realtime.adapters.base import AdapterError
from opticall_realtime.config import Settings

Adapter = Callable[[bytes, str, Settings], list[dict[str, Any]]]

VENDORS: dict[str, Adapter] = {
    "amazon-connect": amazon_connect.parse,
    "cisco-webex": cisco_webex.parse,
    "cisco-uccx": cisco_uccx.parse,
    "genesys": genesys.parse,
    "avaya": avaya.parse,
}

__all__ = ["VENDORS", "Adapter", "AdapterError"]
