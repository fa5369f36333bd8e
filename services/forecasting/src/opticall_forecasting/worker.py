"""The ``forecast-requests`` consumer: one task in the service's lifespan.

Offsets are committed only after a job's result is stored (``opticall_common.kafka.consume``),
so a worker killed mid-job gets the request again after restart. A crashed consume loop is
restarted after a pause instead of silently leaving the service without a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from opticall_common import topics
from opticall_common.events import ForecastRequest
from opticall_common.kafka import DeadLetterSink, consume, make_consumer
from opticall_forecasting.jobs import JobRunner

log = logging.getLogger(__name__)


async def run_worker(runner: JobRunner) -> None:
    settings = runner.settings
    prefix = settings.kafka_topic_prefix
    # The group is prefixed like the topics, so isolated suites never share a group.
    group = topics.topic(settings.worker_group, prefix)
    dead_letters = DeadLetterSink(runner.publisher.producer)
    while True:
        consumer = make_consumer(
            settings.kafka_bootstrap_servers,
            group,
            topics.topic(topics.FORECAST_REQUESTS, prefix),
            client_id="opticall-forecasting-worker",
        )
        try:
            await consumer.start()
            await runner.requeue_stale()
            sweeper = asyncio.create_task(_sweep(runner))
            try:
                # One record at a time: a fit can take seconds, and a big batch would outlast
                # the consumer's poll interval and trigger a rebalance.
                await consume(
                    consumer,
                    ForecastRequest,
                    runner.handle,
                    dead_letters,
                    logical_topic=topics.FORECAST_REQUESTS,
                    max_records=1,
                )
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("forecast worker crashed; restarting in 5 s")
            await asyncio.sleep(5)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


async def _sweep(runner: JobRunner) -> None:
    """Re-queue jobs left unfinished (e.g. their request was never published)."""
    interval = max(5.0, runner.settings.job_lease_seconds / 2)
    while True:
        await asyncio.sleep(interval)
        try:
            await runner.requeue_stale()
        except Exception:
            log.exception("re-queue sweep failed")
