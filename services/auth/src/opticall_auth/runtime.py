"""What auth holds while it runs, built by ``open_runtime`` in the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from opticall_auth.admin_seed import seed_admin
from opticall_auth.config import Settings
from opticall_auth.hash_limiter import HashLimiter
from opticall_auth.keys import KeyConfigError, KeyRing, load_keyring
from opticall_auth.password_policy import PasswordPolicy
from opticall_auth.passwords import Passwords
from opticall_auth.throttle import ForwardedClient, Limits, LoginThrottle
from opticall_auth.tokens import TokenIssuer
from opticall_common.db import run_migrations
from opticall_common.health import Check
from opticall_common.resources import Resources, open_resources
from opticall_common.security import TokenVerifier
from opticall_common.settings import Environment

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_auth"


class LocalTokenVerifier(TokenVerifier):
    """The common verifier, fed from our own key ring instead of fetching our own JWKS.

    On an unknown kid (``force``) it reads the keys folder at once rather than waiting for
    the next reload: another auth replica may have started signing with a key this one has
    not read yet."""

    def __init__(self, keyring: KeyRing, issuer: str, audience: str) -> None:
        super().__init__("local://jwks", issuer, audience)
        self._keyring = keyring
        self.set_keys(keyring.jwks())

    async def refresh(self, *, force: bool = False) -> None:
        if force:
            with contextlib.suppress(KeyConfigError, OSError):  # the reload task logs these
                await asyncio.to_thread(self._keyring.reload)
        self.set_keys(self._keyring.jwks())


@dataclass
class Runtime:
    settings: Settings
    resources: Resources
    sessions: sessionmaker[Session]
    keyring: KeyRing
    passwords: Passwords
    policy: PasswordPolicy
    # Every hash or verify on a request's path goes through it (see hash_limiter.py).
    limiter: HashLimiter
    issuer: TokenIssuer
    throttle: LoginThrottle
    forwarded: ForwardedClient
    verifier: LocalTokenVerifier

    def checks(self) -> dict[str, Check]:
        return self.resources.checks()


def _build(settings: Settings, res: Resources) -> Runtime:
    """Everything but the database and the HTTP client (opened by ``open_resources``)."""
    assert res.sessions is not None
    keyring = load_keyring(
        settings.signing_keys.get_secret_value() if settings.signing_keys else None,
        settings.keys_dir,
        may_generate=settings.env is not Environment.production,
        grace_seconds=settings.previous_key_grace_seconds,
    )
    passwords = Passwords(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    return Runtime(
        settings=settings,
        resources=res,
        sessions=res.sessions,
        keyring=keyring,
        passwords=passwords,
        policy=PasswordPolicy(settings.password_min_length),
        limiter=HashLimiter(
            settings.hash_concurrency,
            settings.hash_max_wait_seconds,
            seconds_per_hash=passwords.seconds_per_hash,
        ),
        issuer=TokenIssuer(
            keyring,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
        ),
        throttle=LoginThrottle(
            Limits(
                window_seconds=settings.login_window_seconds,
                per_user_client=settings.login_max_failures_per_user_client,
                per_client=settings.login_max_failures_per_client,
                per_user=settings.login_max_failures_per_user,
            )
        ),
        forwarded=ForwardedClient(settings.forwarded_secret_bytes),
        verifier=LocalTokenVerifier(keyring, settings.jwt_issuer, settings.jwt_audience),
    )


async def reload_keys(rt: Runtime) -> None:
    """Read the keys folder every ``AUTH_KEYS_RELOAD_SECONDS``: a rotated-in key is published
    (and our own verifier knows it) without a restart; see keys.py."""
    while True:
        await asyncio.sleep(rt.settings.keys_reload_seconds)
        try:
            changed = await asyncio.to_thread(rt.keyring.reload)
        except (KeyConfigError, OSError) as exc:
            log.error("could not reload the signing keys; keeping the current ones: %s", exc)
            continue
        if changed:
            rt.verifier.set_keys(rt.keyring.jwks())
            kids = [k["kid"] for k in rt.keyring.jwks()["keys"]]
            log.info(
                "signing keys reloaded: now signing with %s, publishing %s",
                rt.keyring.signing_kid,
                kids,
            )


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Auth's database, keys, hashing and tokens; migrated and seeded; closed on exit."""
    # Auth needs no Kafka: it publishes no events. Nor does it poll its own revocation list:
    # its token-protected routes (/users) check the live account instead.
    async with open_resources(
        settings,
        "opticall-auth",
        database_url=settings.database_url,
        kafka=False,
        poll_revocations=False,
    ) as res:
        # After open_resources, which creates a local SQLite file's folder.
        if settings.run_migrations:
            await asyncio.to_thread(
                run_migrations, MIGRATIONS, settings.database_url, VERSION_TABLE
            )
        rt = await asyncio.to_thread(_build, settings, res)
        res.verifier = rt.verifier
        await asyncio.to_thread(seed_admin, settings, rt.sessions, rt.passwords, rt.policy)
        reloader = asyncio.create_task(reload_keys(rt), name="reload-signing-keys")
        try:
            yield rt
        finally:
            reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reloader
            rt.limiter.close()
