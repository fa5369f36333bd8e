"""Database plumbing specific to scheduling: migrations, SQLite transactions, error mapping.

PostgreSQL (production, tests) versus SQLite (local default) — what differs:

* **Overlap.** On PostgreSQL the table carries an exclusion constraint (``EXCLUDE USING gist
  (agent_id WITH =, tstzrange(start_at, end_at) WITH &&)``, btree_gist), so two concurrent
  requests can never both store overlapping shifts: the loser gets 409. SQLite has no such
  constraint; there every transaction starts with ``BEGIN IMMEDIATE`` (taking the database's
  write lock up front), which serialises writers, so the service's own overlap check cannot race.
  The price is that SQLite runs one transaction at a time; it is for one laptop, not production.
* **Outbox relay exclusivity.** On PostgreSQL a session advisory lock lets one relay of many
  replicas publish at a time. SQLite has no advisory locks; a SQLite file is used by one process.
* **Times.** ``timestamptz`` on PostgreSQL; naive UTC values on SQLite (see ``UTCDateTime``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_scheduling"

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"


def use_immediate_transactions(engine: Engine) -> None:
    """On SQLite, make every transaction ``BEGIN IMMEDIATE`` (no-op on other databases).

    pysqlite otherwise begins transactions lazily and as DEFERRED, so two check-then-insert
    transactions could both read "no overlap" before either writes.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlstate(exc: IntegrityError) -> str | None:
    """The SQLSTATE of a PostgreSQL integrity error; SQLite's messages are mapped to the same."""
    code = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    if code:
        return str(code)
    message = str(exc.orig)
    if "UNIQUE constraint failed" in message:
        return UNIQUE_VIOLATION
    if "FOREIGN KEY constraint failed" in message:
        return FOREIGN_KEY_VIOLATION
    return None
