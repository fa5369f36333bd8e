"""Settings of the realtime service, from the environment (prefix ``REALTIME_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from opticall_common.settings import (
    ServiceSettings,
    database_url_field,
    refuse_sqlite_in_production,
)

# Seconds an agent may be in the wrong state before it counts as out of adherence, per
# scheduled activity ("unscheduled" = logged in outside any shift).
DEFAULT_GRACE = {
    "work": 60.0,
    "break": 120.0,
    "lunch": 120.0,
    "meeting": 120.0,
    "training": 120.0,
    "unscheduled": 300.0,
}


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="REALTIME_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5004
    database_url: str = database_url_field("realtime")
    run_migrations: bool = True
    # Partitions of the topics this service creates when missing (agent-events, schedule-changes,
    # agent-state...). They must be equal: the Faust table is co-partitioned with its sources.
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # JSON object, e.g. {"work": 60, "break": 120}; activities not listed use "work"'s value.
    adherence_grace_seconds: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_GRACE))
    # Shifts ended longer ago than this are dropped from the in-memory schedule.
    schedule_keep_hours: float = Field(default=24.0, gt=0)
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    # Messages buffered per WebSocket client; past it the client is resynced with a snapshot.
    ws_queue_size: int = Field(default=1000, ge=1)
    # On start, wait at most this long for the full agent view to catch up with Kafka.
    view_catchup_seconds: float = Field(default=30.0, ge=0)
    history_enabled: bool = True
    # Linger of the Faust producer that writes the agent-state changelog.
    changelog_linger_ms: float = Field(default=50.0, ge=0)
    # Longest a Kafka fetch of the fold waits for data (Faust's own 1,500 ms stalled delivery).
    fetch_max_wait_ms: int = Field(default=20, ge=1, le=1500)
    max_events_per_request: int = Field(default=10_000, ge=1)
    # Avaya AUX reason codes (site-defined) -> canonical state; unknown codes mean not_ready.
    avaya_aux_reasons: dict[str, str] = Field(
        default_factory=lambda: {"1": "break", "2": "lunch", "3": "meeting", "4": "training"}
    )

    def validate_secrets(self) -> None:
        refuse_sqlite_in_production(self, self.database_url)

    def grace_for(self, activity: str | None) -> float:
        grace = self.adherence_grace_seconds
        key = activity or "unscheduled"
        return float(grace.get(key, grace.get("work", 60.0)))


@lru_cache
def get_settings() -> Settings:
    return Settings()
