"""The auth service's own Prometheus metrics (HTTP metrics come from opticall_common)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LOGINS = Counter(
    "opticall_auth_logins_total",
    "Login attempts by outcome: success, bad_credentials, throttled, overloaded",
    ["outcome"],
)
TOKENS_ISSUED = Counter(
    "opticall_auth_tokens_issued_total",
    "Token pairs issued, by grant: password (login) or refresh_token (rotation)",
    ["grant"],
)
HASH_WAITING = Gauge(
    "opticall_auth_hash_waiting",
    "Password hashes (login, user change) waiting for a hashing slot",
)
HASH_REJECTED = Counter(
    "opticall_auth_hash_rejected_total",
    "Password hashes refused with 503 because the wait for a slot would exceed the budget",
)
REHASHES = Counter(
    "opticall_auth_rehashes_total",
    "Stored hashes upgraded to the current argon2 parameters at login, by outcome: "
    "done, or deferred (hashing was saturated; the next login tries again)",
    ["outcome"],
)
