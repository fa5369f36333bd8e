"""What a service opens in its lifespan and closes in ``finally``: DB, Kafka, JWKS, HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from opticall_common.db import check_database, make_engine, make_sessionmaker
from opticall_common.health import Check
from opticall_common.kafka import EventPublisher, check_kafka
from opticall_common.security import TokenVerifier
from opticall_common.settings import ServiceSettings


@dataclass
class Resources:
    settings: ServiceSettings
    verifier: TokenVerifier
    http: httpx.AsyncClient
    engine: Engine | None = None
    sessions: sessionmaker[Session] | None = None
    publisher: EventPublisher | None = None
    extra_checks: dict[str, Check] = field(default_factory=dict)

    def checks(self) -> dict[str, Check]:
        out: dict[str, Check] = {}
        if self.engine is not None:
            engine = self.engine
            out["database"] = lambda: check_database(engine)
        if self.publisher is not None:
            producer = self.publisher.producer

            async def kafka() -> None:
                await check_kafka(producer)

            out["kafka"] = kafka
        out.update(self.extra_checks)
        return out


@asynccontextmanager
async def open_resources(
    settings: ServiceSettings,
    client_id: str,
    *,
    database_url: str | None = None,
    kafka: bool = True,
    http_limits: httpx.Limits | None = None,
    poll_revocations: bool = True,
) -> AsyncIterator[Resources]:
    """``poll_revocations=False`` is for auth, which knows its revocations without asking."""
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=3.0),
        limits=http_limits or httpx.Limits(max_connections=200, max_keepalive_connections=100),
    )
    # Kept here as well: a service may swap res.verifier, but this one's poll must stop.
    verifier = TokenVerifier.from_settings(settings, http=http)
    res = Resources(settings=settings, verifier=verifier, http=http)
    try:
        if poll_revocations:
            verifier.start()
        if database_url is not None:
            res.engine = make_engine(database_url)
            res.sessions = make_sessionmaker(res.engine)
        if kafka:
            res.publisher = EventPublisher(
                settings.kafka_bootstrap_servers, client_id, settings.kafka_topic_prefix
            )
            await res.publisher.start()
        yield res
    finally:
        await verifier.stop()
        if res.publisher is not None:
            await res.publisher.stop()
        if res.engine is not None:
            res.engine.dispose()
        await http.aclose()
