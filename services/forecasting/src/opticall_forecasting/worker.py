"""The ``forecast-requests`` consumer: one task in the service's lifespan.

An offset is committed only after the job's result is stored, or after the record is
dead-lettered, so a worker killed mid-job gets the request again after restart. A malformed
record, and a request that crashed the model process on every allowed attempt (a poison
request), go to ``forecast-requests.dlq`` with the error and the partition moves on. A crashed
consume loop is restarted after a pause instead of silently leaving the service without a
worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from opticall_common import topics
from opticall_common.events import ForecastRequest
from opticall_common.kafka import DeadLetterSink, make_consumer, parse_record
from opticall_common.metrics import EVENTS_CONSUMED
from opticall_forecasting.jobs import JobRunner, PoisonRequest

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
                await consume_requests(consumer, runner, dead_letters)
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


async def consume_requests(
    consumer: AIOKafkaConsumer, runner: JobRunner, dead_letters: DeadLetterSink
) -> None:
    """One record at a time (a fit can take seconds, and a big batch would outlast the
    consumer's poll interval and trigger a rebalance); commit after each."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=1)
        for tp, records in batches.items():
            for record in records:
                try:
                    event = parse_record(record, ForecastRequest)
                except (ValidationError, ValueError) as exc:
                    await dead_letters.send(
                        record, str(exc), logical_topic=topics.FORECAST_REQUESTS
                    )
                else:
                    try:
                        await runner.handle(event)
                    except PoisonRequest as exc:
                        # Dead-lettered first: a crash before the job is marked failed
                        # redelivers the request, whose spent attempts fail it at once.
                        await dead_letters.send(
                            record, str(exc), logical_topic=topics.FORECAST_REQUESTS
                        )
                        await runner.fail_poison(event, str(exc))
                    EVENTS_CONSUMED.labels(topic=topics.FORECAST_REQUESTS).inc()
                await consumer.commit({tp: record.offset + 1})
