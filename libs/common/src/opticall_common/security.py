"""JWT verification against the auth service's JWKS, and role checks for FastAPI routes.

Tokens are signed by the auth service alone (EdDSA/Ed25519); everyone else holds only public
keys, fetched from the JWKS endpoint, cached, and refreshed when an unknown ``kid`` appears.
A verified token is remembered until it expires, so the hot path costs one dict lookup.
Every verify, cached or not, also checks the revocation list that auth publishes (see
``revocations.py``): a disabled or demoted user's tokens stop working within one poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from jwt import PyJWK
from starlette.requests import HTTPConnection

from opticall_common.problems import Problem
from opticall_common.revocations import RevocationList

if TYPE_CHECKING:
    from opticall_common.settings import ServiceSettings

# Only asymmetric algorithms: an HS256 token "signed" with a public key must never verify.
ALLOWED_ALGORITHMS = ("EdDSA", "RS256", "ES256")


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"
    acd = "acd"


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    roles: frozenset[str]
    agent_id: str | None
    token: str
    expires_at: float
    issued_at: int = 0
    # The login session (auth's refresh-token family): logout and reuse detection revoke it.
    session_id: str | None = None

    def has_any(self, roles: frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        http: httpx.AsyncClient | None = None,
        refresh_interval: float = 300.0,
        min_refetch_interval: float = 5.0,
        cache_size: int = 50_000,
        revocations_url: str | None = None,
        revocation_poll_seconds: float = 5.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self._http = http
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._refresh_interval = refresh_interval
        self._min_refetch = min_refetch_interval
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size
        self.revocations = RevocationList(
            revocations_url, http=http, poll_seconds=revocation_poll_seconds
        )

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, *, http: httpx.AsyncClient | None = None
    ) -> TokenVerifier:
        """The verifier a service uses: JWKS and revocation list from auth, per the settings."""
        return cls(
            settings.jwks_url,
            settings.jwt_issuer,
            settings.jwt_audience,
            http=http,
            revocations_url=settings.effective_revocations_url,
            revocation_poll_seconds=settings.revocation_poll_seconds,
        )

    def start(self) -> None:
        """Start polling the revocation list (call from the lifespan that owns ``http``)."""
        self.revocations.start()

    async def stop(self) -> None:
        await self.revocations.stop()

    def set_keys(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, PyJWK] = {}
        for jwk in jwks.get("keys", []):
            if "kid" not in jwk:
                continue
            try:
                keys[jwk["kid"]] = PyJWK.from_dict(jwk)
            except jwt.PyJWTError:
                continue  # a key type we do not accept is simply not usable
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def refresh(self, *, force: bool = False) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if not force and age < self._refresh_interval and self._keys:
                return
            if force and age < self._min_refetch:
                return  # an attacker's stream of unknown kids must not hammer the auth service
            client = self._http or httpx.AsyncClient(timeout=5)
            try:
                resp = await client.get(self.jwks_url)
                resp.raise_for_status()
                self.set_keys(resp.json())
            finally:
                if self._http is None:
                    await client.aclose()

    async def _key_for(self, kid: str) -> PyJWK:
        if not self._keys or time.monotonic() - self._fetched_at > self._refresh_interval:
            await self._refresh_or_503()
        key = self._keys.get(kid)
        if key is None:
            await self._refresh_or_503(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise unauthorized("token signed with an unknown key")
        return key

    async def _refresh_or_503(self, *, force: bool = False) -> None:
        try:
            await self.refresh(force=force)
        except (httpx.HTTPError, ValueError) as exc:
            if not self._keys:
                raise Problem(503, "signing keys are unavailable; try again shortly") from exc

    async def verify(self, token: str) -> Principal:
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at > now:
                return self._unrevoked(cached)
            del self._cache[token]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise unauthorized("token algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise unauthorized("token has no key id")
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[key.algorithm_name] if key.algorithm_name else list(ALLOWED_ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise unauthorized("token not yet valid") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from exc
        if claims.get("typ") != "access":
            raise unauthorized("not an access token")
        principal = Principal(
            username=str(claims["sub"]),
            roles=frozenset(str(r) for r in claims.get("roles", [])),
            agent_id=claims.get("agent_id"),
            token=token,
            expires_at=float(claims["exp"]),
            issued_at=int(claims["iat"]),
            session_id=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        )
        self._cache[token] = principal
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return self._unrevoked(principal)

    def _unrevoked(self, principal: Principal) -> Principal:
        if self.revocations.revoked(principal.username, principal.issued_at, principal.session_id):
            # Kept in the cache: the list may be replaced, but a revocation never lifts for a
            # token issued before it (auth only ever moves not_before forward).
            raise unauthorized("token revoked")
        return principal

    def forget(self, token: str) -> None:
        self._cache.pop(token, None)


# --- The client address the gateway states to auth ---------------------------------------
# Auth throttles logins per client address, which only the gateway knows. The gateway sends
# it in X-Forwarded-For with an HMAC of it under a secret only the gateway and auth hold
# (FORWARDED_SECRET), and drops any such header a client sent: a client can still write an
# X-Forwarded-For, but not its signature, so auth believes only the gateway's.

FORWARDED_SIGNATURE_HEADER = "x-opticall-forwarded-signature"
# Development and tests only; production refuses to start without a real FORWARDED_SECRET.
DEVELOPMENT_FORWARDED_SECRET = "opticall-development-forwarded-secret"  # noqa: S105


def sign_forwarded(secret: bytes, address: str) -> str:
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()


def signed_forwarded_for(
    secret: bytes, forwarded_for: str | None, signature: str | None
) -> str | None:
    """The address in ``forwarded_for`` when ``signature`` is the gateway's for it, else None."""
    if not forwarded_for or not signature:
        return None
    address = forwarded_for.strip()
    if "," in address:  # the gateway states one address; a list was not written by it
        return None
    if not hmac.compare_digest(sign_forwarded(secret, address), signature.strip()):
        return None
    return address


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value:
            return value.strip()
        return None
    return (
        request.query_params.get("access_token") if request.scope["type"] == "websocket" else None
    )


def role_dependency(
    get_verifier: Callable[[HTTPConnection], TokenVerifier], *roles: Role
) -> Callable[[HTTPConnection], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: 401 without a valid token, 403 without one of ``roles``.

    No roles means any authenticated caller.
    """
    allowed = frozenset(r.value for r in roles)

    async def dependency(request: HTTPConnection) -> Principal:
        token = bearer_token(request)
        if not token:
            raise unauthorized("missing bearer token")
        principal = await get_verifier(request).verify(token)
        if allowed and not principal.has_any(allowed):
            raise Problem(403, "your role may not use this endpoint")
        request.state.principal = principal
        return principal

    return dependency
