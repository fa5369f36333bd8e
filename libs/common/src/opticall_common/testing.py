"""Test helpers: mint real signed tokens without the auth service (for services' unit tests)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from opticall_common.kafka import delete_topics_with_prefix
from opticall_common.security import TokenVerifier

log = logging.getLogger(__name__)


class TokenFactory:
    """An Ed25519 key pair with a kid; ``jwks()`` publishes it, ``token()`` signs claims."""

    def __init__(self, issuer: str = "opticall-auth", audience: str = "opticall") -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:16]
        self.issuer = issuer
        self.audience = audience

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": [jwk]}

    def token(
        self,
        sub: str = "tester",
        roles: tuple[str, ...] = ("admin",),
        agent_id: str | None = None,
        ttl: int = 600,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "roles": list(roles),
        }
        if agent_id:
            payload["agent_id"] = agent_id
        payload.update(claims)
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def verifier(self) -> TokenVerifier:
        v = TokenVerifier("http://unused.invalid/jwks", self.issuer, self.audience)
        v.set_keys(self.jwks())
        return v


def drop_topics(bootstrap_servers: str, prefix: str) -> list[str]:
    """Best effort: delete the topics a test or bench made under its throw-away ``prefix``
    (Faust's changelog and assignor topics carry it too), so runs do not pile up topics in a
    developer's broker. Never raises; returns the names deleted.

    In a thread of its own, so it works whether or not the caller runs an event loop."""
    try:
        with ThreadPoolExecutor(1) as pool:
            coro = delete_topics_with_prefix(bootstrap_servers, prefix)
            deleted: list[str] = pool.submit(asyncio.run, coro).result(timeout=60)
    except Exception as exc:  # cleanup only: a failure here must not fail the run
        # To the real stderr: pytest captures the rest, and an in-process service app may have
        # replaced the root log handlers (configure_logging), so a log record could vanish.
        print(f"warning: could not delete Kafka topics {prefix}*: {exc!r}", file=sys.__stderr__)
        return []
    log.info("deleted %d Kafka topics with prefix %r", len(deleted), prefix)
    return deleted
