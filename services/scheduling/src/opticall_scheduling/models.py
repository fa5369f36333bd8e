"""Tables of the scheduling service: agents, shifts, and the transactional outbox.

Column names avoid SQL keywords (``start_at``/``end_at`` rather than ``start``/``end``); the API
keeps the contract's names. Times are stored in UTC; see ``UTCDateTime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opticall_common.db import UTCDateTime
from opticall_common.events import utcnow


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime}


class Agent(Base):
    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Shift(Base):
    __tablename__ = "shifts"
    # On PostgreSQL the migration adds ``shifts_no_overlap``: EXCLUDE USING gist
    # (agent_id WITH =, tstzrange(start_at, end_at) WITH &&). It is not declared here because
    # SQLite cannot express it; there the service checks inside BEGIN IMMEDIATE instead.
    __table_args__ = (
        # end_at last: the overlap filter is checked on index entries (migration 0002).
        Index("ix_shifts_agent_start_id_end", "agent_id", "start_at", "id", "end_at"),
        Index("ix_shifts_start_id_end", "start_at", "id", "end_at"),
        CheckConstraint("end_at > start_at", name="shifts_end_after_start"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE")
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    activity: Mapped[str] = mapped_column(String(32), default="work")
    queue: Mapped[str | None] = mapped_column(String(128))
    # [{"kind", "start", "end"}] with ISO UTC strings; validated by the service, read whole.
    activities: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(128))
    updated_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Revision of the shift, bumped by every update (the iCalendar SEQUENCE of its event).
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


@event.listens_for(Shift, "before_update")
def _bump_sequence(_mapper: Any, _conn: Any, shift: Shift) -> None:
    # Every ORM update of a shift goes through here, whichever flow made it.
    shift.sequence = (shift.sequence or 0) + 1


class OutboxRecord(Base):
    """One event to publish, written in the same transaction as the change it describes."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_unsent",
            "id",
            postgresql_where="sent_at IS NULL",
            sqlite_where="sent_at IS NULL",
        ),
        Index("ix_outbox_sent_at", "sent_at"),
    )

    # Publication order is id order. Two changes of one shift cannot interleave: the later one
    # waits on the shift's row lock before it writes its outbox row, so it gets the larger id.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    change_id: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
