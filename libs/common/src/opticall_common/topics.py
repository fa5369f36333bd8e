"""Kafka topic names: the one place they are spelled."""

from __future__ import annotations

AGENT_EVENTS = "agent-events"
SCHEDULE_CHANGES = "schedule-changes"
FORECAST_REQUESTS = "forecast-requests"
FORECAST_RESULTS = "forecast-results"
ADHERENCE_CHANGES = "adherence-changes"
AGENT_STATE = "agent-state"
AGENT_NOTIFICATIONS = "agent-notifications"

DLQ_SUFFIX = ".dlq"


def topic(name: str, prefix: str = "") -> str:
    """The physical topic for a logical name, under an optional isolation prefix."""
    return f"{prefix}{name}"


def dlq(name: str) -> str:
    """Dead-letter topic for a physical topic name."""
    return f"{name}{DLQ_SUFFIX}"
