"""SQLAlchemy 2 engine and sessions from a URL: PostgreSQL in production, SQLite locally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from opticall_common.problems import NotFound

T = TypeVar("T")


class Base(DeclarativeBase):
    """Not shared across services: each service declares its own ``Base`` subclass tree."""


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: ``timestamptz`` on PostgreSQL; on SQLite (no time
    zones) a naive UTC value, re-tagged as UTC when read. Every service's models use it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column: times must carry an offset")
        value = value.astimezone(UTC)
        # SQLite compares the stored text: keep every value in one (offset-less) format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 to SQLAlchemy 2.1; we ship psycopg2 (psycopg2-binary)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url.removeprefix(scheme)
    return url


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any exception."""
    with factory() as session, session.begin():
        yield session


def check_database(engine: Engine) -> None:
    """Readiness: a round trip to the database."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def run_migrations(script_location: Path, url: str, version_table: str) -> None:
    """``alembic upgrade head`` for one service, at start-up or from a prestart job.

    Each service keeps its own version table so several can share one database if an operator
    chooses to, without their histories colliding.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["version_table"] = version_table
    command.upgrade(cfg, "head")


def get_or_404(
    session: Session,
    model: type[T],
    ident: object,
    what: str | None = None,
    *,
    for_update: bool = False,
) -> T:
    """The row of ``model`` with primary key ``ident``, or a 404 problem naming ``what``;
    ``for_update`` reads it with ``SELECT … FOR UPDATE`` (even when the session holds it)."""
    row = session.get(model, ident, with_for_update=for_update or None)
    if row is None:
        raise NotFound(what or model.__name__.lower(), ident)
    return row
