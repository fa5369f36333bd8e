"""Event schemas for every Kafka topic (the wire contract).

JSON, UTF-8, one event per record, record key = the entity id. Every event carries a unique id
so consumers can drop duplicates. ``agent-events`` is fixed by DESIGN.md: extra fields are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import SchemaValidator

from opticall_common import topics
from opticall_common.notifications import AgentNotification
from opticall_common.text import Identifier


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # An offset time on the first or last day datetime holds (0001-01-01T00:00+01:00)
        # has no UTC value. Raised as is, OverflowError escaped pydantic: a 500 at the
        # gateway and a record that stopped the realtime consumer.
        raise ValueError("timestamp is out of range once converted to UTC") from None


# Aware timestamps only: a naive time from an ACD is ambiguous, so it is rejected, not guessed.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class AgentState(StrEnum):
    logged_out = "logged_out"
    available = "available"
    on_call = "on_call"
    after_call_work = "after_call_work"
    break_ = "break"
    lunch = "lunch"
    meeting = "meeting"
    training = "training"
    not_ready = "not_ready"


class AgentEvent(BaseModel):
    """One agent state change reported by an ACD (topic ``agent-events``, key ``agent_id``)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=128)
    agent_id: str = Field(min_length=1, max_length=128)
    state: AgentState
    timestamp: UtcDatetime
    source: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=256)

    @model_validator(mode="before")
    @classmethod
    def _default_event_id(cls, data: Any) -> Any:
        # An ACD that sends no id still gets idempotent retries: the id derives from the content.
        if isinstance(data, dict) and not data.get("event_id"):
            basis = "|".join(
                str(data.get(k, "")) for k in ("agent_id", "state", "timestamp", "source")
            )
            data = {**data, "event_id": uuid.uuid5(uuid.NAMESPACE_URL, basis).hex}
        return data


def _json_fields_validator() -> Callable[[Any], tuple[dict[str, Any], Any, Any]] | None:
    """``AgentEvent``'s own field schema (its types, limits, whitespace and UTC rules) as a
    validator of JSON straight into a dict of the fields; ``None`` if pydantic built the
    model's schema in a shape this does not know."""
    schema: Any = AgentEvent.__pydantic_core_schema__
    outer = schema.get("schema", {}) if schema.get("type") == "model" else {}
    function = outer.get("function", {}).get("function")
    fields = outer.get("schema", {})
    if (
        outer.get("type") != "function-before"
        or getattr(function, "__func__", None) is not AgentEvent._default_event_id.__func__
        or fields.get("type") != "model-fields"
    ):
        return None
    validate: Callable[[Any], tuple[dict[str, Any], Any, Any]]
    validate = SchemaValidator(fields, schema.get("config")).validate_json
    return validate


_JSON_FIELDS = _json_fields_validator()


def agent_event_fields(raw: bytes | None) -> dict[str, Any]:
    """The declared fields of an ``agent-events`` record, exactly as
    ``vars(AgentEvent.model_validate_json(raw))``; raises its ``ValidationError`` too.

    For a record with an ``event_id`` (every record the gateway and the simulator publish),
    the model's field schema validates the JSON directly: the model-level "before" validator
    that derives a missing id needs the whole record parsed into a Python dict first, which
    cost as much as the validation itself, and building the model cost more (2.8 against
    5.6 us a record). It changes nothing in a record that has an id, so any record this path
    refuses (no id, or invalid) goes through the model, which derives the id or raises the
    model's own error.
    """
    if _JSON_FIELDS is not None:
        try:
            return _JSON_FIELDS(raw)[0]
        except ValueError:
            pass
    return vars(AgentEvent.model_validate_json(raw))  # type: ignore[arg-type]  # None: refused


# What a consumer folding agent states reads of an event:
# (agent_id, timestamp as epoch seconds, event_id, state, queue, reason).
AgentEventCore = tuple[str, float, str, AgentState, str | None, str | None]


class _PlainAgentEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The agent-events records ``agent_event_core`` decodes without pydantic: a strict subset
    of what ``AgentEvent`` accepts, on which both give the same values.

    Its limits are the model's (``tests/test_events.py`` holds them together). It refuses, so
    the model decides: any extra field (msgspec does not parse what it skips, so a value
    pydantic refuses there, such as one nested too deep, would pass), a missing, null or empty
    id, and a timestamp not of the form ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (msgspec rounds a
    finer fraction where pydantic truncates it, and keeps offsets). ``agent_event_core``
    refuses strings with whitespace at either end, which the model strips.
    """

    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    agent_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    state: AgentState
    timestamp: Annotated[str, msgspec.Meta(min_length=20, max_length=27)]
    source: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    queue: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=256)] | None = None


_decode_plain = msgspec.json.Decoder(_PlainAgentEvent).decode
_fromisoformat = datetime.fromisoformat
# Characters 4, 7, 10, 13, 16 and 19 of a timestamp the fast path takes.
_TIMESTAMP_MARKS = ("--T::.", "--T::Z")


def agent_event_core(raw: bytes | None) -> AgentEventCore:
    """``(agent_id, timestamp as epoch seconds, event_id, state, queue, reason)`` of an
    ``agent-events`` record, exactly as ``AgentEvent.model_validate_json(raw)`` gives them;
    raises its ``ValidationError`` too.

    The realtime fold decodes every event with it. A plain record (``_PlainAgentEvent``:
    what the gateway, the simulator and the adapters publish) is decoded by msgspec, in C,
    then checked here: 1.3 us a record, against 2.4 with ``agent_event_fields`` and 5.0 with
    the model (same record and machine). Anything else goes through ``agent_event_fields``.
    """
    try:
        plain = _decode_plain(raw)  # type: ignore[arg-type]  # None: refused, then decided below
    except (ValueError, TypeError):  # msgspec's errors are ValueErrors
        plain = None
    if plain is not None:
        event_id, agent_id, ts = plain.event_id, plain.agent_id, plain.timestamp
        queue, reason = plain.queue, plain.reason
        # ``s.strip() is s``: CPython's strip returns the string itself when it strips nothing.
        # Python's whitespace includes all of Unicode's White_Space, which pydantic strips.
        if (
            ts[4:20:3] in _TIMESTAMP_MARKS
            and ts[-1] == "Z"
            and ts[-2] != "."  # Python reads "00.Z" as no fraction; pydantic refuses it
            and event_id.strip() is event_id
            and agent_id.strip() is agent_id
            and (queue is None or queue.strip() is queue)
            and (reason is None or reason.strip() is reason)
        ):
            try:
                epoch = _fromisoformat(ts).timestamp()
            except ValueError:  # not a date or time (February 30th, 25 o'clock, ...)
                pass
            else:
                return agent_id, epoch, event_id, plain.state, queue, reason
    fields = agent_event_fields(raw)
    return (
        fields["agent_id"],
        fields["timestamp"].timestamp(),
        fields["event_id"],
        fields["state"],
        fields["queue"],
        fields["reason"],
    )


class ActivityKind(StrEnum):
    work = "work"
    break_ = "break"
    lunch = "lunch"
    meeting = "meeting"
    training = "training"
    # Approved time off inside a shift: the agent is scheduled off for that part.
    time_off = "time_off"


class ShiftActivity(BaseModel):
    kind: ActivityKind
    start: UtcDatetime
    end: UtcDatetime


class ShiftSnapshot(BaseModel):
    """A shift as it stands after a change."""

    id: str
    agent_id: str
    start: UtcDatetime
    end: UtcDatetime
    activity: str = "work"
    queue: str | None = None
    activities: list[ShiftActivity] = Field(default_factory=list)


class ChangeOp(StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"


class ScheduleChange(BaseModel):
    """A committed shift change (topic ``schedule-changes``, key ``agent_id``), from the outbox."""

    change_id: str = Field(default_factory=new_id)
    op: ChangeOp
    shift_id: str
    agent_id: str
    occurred_at: UtcDatetime = Field(default_factory=utcnow)
    # The shift after the change; for ``deleted``, the shift as it was.
    shift: ShiftSnapshot


class ForecastMetric(StrEnum):
    volume = "volume"
    aht = "aht"


class SeriesPoint(BaseModel):
    ds: datetime
    y: float


class ForecastRequest(BaseModel):
    """An asynchronous forecast job (topic ``forecast-requests``, key ``request_id``).

    Either ``history`` is given inline, or ``queue`` names stored interval history.
    """

    request_id: str = Field(default_factory=new_id, min_length=1, max_length=128)
    queue: Identifier | None = None
    metric: ForecastMetric = ForecastMetric.volume
    history: list[SeriesPoint] | None = None
    periods: int = Field(default=7, ge=1, le=10_000)
    freq: str | None = None
    requested_at: UtcDatetime = Field(default_factory=utcnow)
    requested_by: str | None = None
    # Added in round 2; all optional, so earlier requests stay valid. The forecasting service
    # validates them (a bad one fails the job with the reason).
    model: str | None = Field(
        default=None, max_length=32, description="auto (default), prophet or a named peer"
    )
    future: list[datetime] | None = Field(
        default=None, max_length=10_000, description="Explicit timestamps to forecast"
    )
    open_hours: dict[str, Any] | None = Field(
        default=None, description="Weekly opening hours: {timezone, weekly: [{days, open, close}]}"
    )
    country: str | None = Field(default=None, max_length=8, description="Holidays (ISO code)")
    start: datetime | None = Field(default=None, description="Stored history from (inclusive)")
    end: datetime | None = Field(default=None, description="Stored history until (exclusive)")


class ForecastPoint(BaseModel):
    ds: datetime
    yhat: float
    yhat_lower: float
    yhat_upper: float


class ForecastStatus(StrEnum):
    done = "done"
    failed = "failed"


class ForecastResult(BaseModel):
    """The outcome of a forecast job (topic ``forecast-results``, key ``request_id``)."""

    result_id: str = Field(default_factory=new_id)
    request_id: str
    status: ForecastStatus
    model: str | None = None
    points: list[ForecastPoint] = Field(default_factory=list)
    accuracy: dict[str, float] | None = None
    error: str | None = None
    completed_at: UtcDatetime = Field(default_factory=utcnow)


class Adherence(StrEnum):
    in_adherence = "in"
    out_of_adherence = "out"
    unscheduled = "unscheduled"


class AdherenceChange(BaseModel):
    """An agent's adherence changed (topic ``adherence-changes``, key ``agent_id``)."""

    change_id: str = Field(default_factory=new_id)
    agent_id: str
    adherence: Adherence
    previous: Adherence | None = None
    state: AgentState
    scheduled_activity: str | None = None
    at: UtcDatetime


# A dead letter must itself fit in one Kafka record (1 MB by default) even when the refused
# record was near that size and JSON escaping inflates it (a quote becomes two bytes, a control
# character six): the start of key and value is kept; partition and offset find the original.
DEAD_LETTER_MAX_CHARS = 100_000


def _clip(value: str | None) -> str | None:
    if value is None or len(value) <= DEAD_LETTER_MAX_CHARS:
        return value
    return value[:DEAD_LETTER_MAX_CHARS] + f"... [{len(value)} characters in all]"


class DeadLetter(BaseModel):
    """What lands on ``<topic>.dlq``: the raw record and why it was refused."""

    topic: str
    partition: int
    offset: int
    key: Annotated[str | None, AfterValidator(_clip)]
    value: Annotated[str, AfterValidator(_clip)]
    error: str
    failed_at: UtcDatetime = Field(default_factory=utcnow)


# The logical topic -> schema map that exports and consumers share.
TOPIC_MODELS: dict[str, type[BaseModel]] = {
    topics.AGENT_EVENTS: AgentEvent,
    topics.SCHEDULE_CHANGES: ScheduleChange,
    topics.FORECAST_REQUESTS: ForecastRequest,
    topics.FORECAST_RESULTS: ForecastResult,
    topics.ADHERENCE_CHANGES: AdherenceChange,
    topics.AGENT_NOTIFICATIONS: AgentNotification,
}

TOPIC_KEYS: dict[str, str] = {
    topics.AGENT_EVENTS: "agent_id",
    topics.SCHEDULE_CHANGES: "agent_id",
    topics.FORECAST_REQUESTS: "request_id",
    topics.FORECAST_RESULTS: "request_id",
    topics.ADHERENCE_CHANGES: "agent_id",
    topics.AGENT_NOTIFICATIONS: "agent_id",
}

SchemaMode = Literal["validation", "serialization"]
