"""The auth service's FastAPI app: users, roles, tokens, JWKS and login throttling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from opticall_auth import revocations_api, sessions_api, users_api
from opticall_auth.config import Settings, get_settings
from opticall_auth.context import AuthContext, LocalTokenVerifier, seed_admin
from opticall_auth.hashing import HashLimiter
from opticall_auth.keys import load_keyring
from opticall_auth.passwords import Passwords
from opticall_auth.throttle import Limits, LoginThrottle, TrustedProxies
from opticall_auth.tokens import TokenIssuer
from opticall_common.app import create_service_app
from opticall_common.db import run_migrations
from opticall_common.resources import open_resources
from opticall_common.settings import Environment

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_auth"


def build_context(settings: Settings, sessions: sessionmaker[Session]) -> AuthContext:
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
    return AuthContext(
        settings=settings,
        sessions=sessions,
        keyring=keyring,
        passwords=passwords,
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
        proxies=TrustedProxies(settings.trusted_proxies),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Auth needs no Kafka: it publishes no events. Nor does it poll its own revocation
        # list: its token-protected routes (/users) check the live account instead.
        async with open_resources(
            settings,
            "opticall-auth",
            database_url=settings.database_url,
            kafka=False,
            poll_revocations=False,
        ) as res:
            assert res.sessions is not None
            # After open_resources, which creates a local SQLite file's folder.
            if settings.run_migrations:
                await asyncio.to_thread(
                    run_migrations, MIGRATIONS, settings.database_url, VERSION_TABLE
                )
            ctx = await asyncio.to_thread(build_context, settings, res.sessions)
            res.verifier = LocalTokenVerifier(
                ctx.keyring, settings.jwt_issuer, settings.jwt_audience
            )
            await asyncio.to_thread(seed_admin, ctx)
            app.state.res = res
            app.state.auth = ctx
            try:
                yield
            finally:
                ctx.limiter.close()

    app = create_service_app(
        "auth",
        settings,
        lifespan=lifespan,
        checks=lambda: app.state.res.checks(),
        description="Users, roles, argon2id passwords, JWT issue/refresh/revoke and the JWKS.",
    )
    app.include_router(sessions_api.router)
    app.include_router(users_api.router)
    app.include_router(revocations_api.router)
    return app
