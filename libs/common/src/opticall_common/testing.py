"""Test helpers: mint real signed tokens without the auth service (for services' unit tests)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from opticall_common.security import TokenVerifier


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
