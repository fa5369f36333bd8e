"""The forecasting service's own Prometheus metrics (HTTP metrics come from opticall_common)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

JOB_SECONDS = Histogram(
    "opticall_forecasting_job_seconds",
    "Forecast jobs from claim to stored result (history load, backtests, fit), by outcome",
    ["outcome"],
    # A job backtests several models: from about a second (a short series) to minutes.
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)
JOBS = Counter(
    "opticall_forecasting_jobs_total",
    "Forecast requests handled, by outcome: done, failed (the model fit failed), invalid (the "
    "request or its history is unusable), duplicate (already finished: result re-published), "
    "interrupted (the worker pool broke or the service stopped: the job is redone), "
    "dead_lettered (the request crashed the model process on every allowed attempt)",
    ["outcome"],
)
OUTCOMES = ("done", "failed", "invalid", "duplicate", "interrupted", "dead_lettered")
TIMED_OUTCOMES = ("done", "failed", "invalid")


def init_metrics() -> None:
    """Export every outcome at 0 from the start, so rates and alerts see the series."""
    for outcome in OUTCOMES:
        JOBS.labels(outcome)
    for outcome in TIMED_OUTCOMES:
        JOB_SECONDS.labels(outcome)
