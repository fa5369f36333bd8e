"""The auth service's own Prometheus counters (HTTP metrics come from opticall_common)."""

from __future__ import annotations

from prometheus_client import Counter

LOGINS = Counter(
    "opticall_auth_logins_total",
    "Login attempts by outcome: success, bad_credentials, throttled",
    ["outcome"],
)
TOKENS_ISSUED = Counter(
    "opticall_auth_tokens_issued_total",
    "Token pairs issued, by grant: password (login) or refresh_token (rotation)",
    ["grant"],
)
