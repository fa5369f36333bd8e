"""The outbox's own Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Gauge

# Set by the relay after every batch and every failed attempt, so it keeps rising through a
# Kafka outage. While Kafka is down every replica's relay reports it: aggregate with max().
OUTBOX_PENDING = Gauge(
    "opticall_scheduling_outbox_pending",
    "Outbox rows committed but not yet published to Kafka (the relay's backlog)",
)
