"""Helpers shared by the gateway's unit tests."""

from __future__ import annotations

PARAMS = {
    "{username}": "bob",
    "{agent_id}": "a-1",
    "{shift_id}": "42",
    "{schedule_id}": "s-1",
    "{forecast_id}": "f-1",
    "{vendor}": "genesys",
    "{path:path}": "app.js",
}


def concrete_path(template: str) -> str:
    for name, value in PARAMS.items():
        template = template.replace(name, value)
    return template


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CSV_ROWS = 50_000


# The upstream's stand-in for auth's ticket store: ticket -> access token, each redeemed once.
TICKETS: dict[str, str] = {}
