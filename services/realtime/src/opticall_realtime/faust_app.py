"""The Faust pieces the realtime engine customises: its app and its table class."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, cast

import faust
from aiokafka.partitioner import murmur2
from faust.streams import current_event
from faust.tables.table import Table

from opticall_realtime.changelog import ChangelogWriter
from opticall_realtime.inline import BatchHandler, drain_messages, new_offset


class DecodingTable(Table[str, Any]):
    """A table whose raw-bytes keys and JSON-array values come back typed after recovery.

    The batch fold writes ``agent-state`` itself, to its source partition (``fold_batch``).
    A table write inside a stream (schedule changes) goes to the source record's partition.
    Outside a stream (the adherence timer, recovery) there is no source record, so the
    partition is the Kafka default partitioner's murmur2 of the raw key, which is what placed
    the agent's events (computed here: left to the producer's partitioner, aiokafka's
    pure-Python murmur2 ran per write).
    """

    decode: Callable[[Any], Any]
    # Set for ``agent-state``: writes bypass Faust's producer buffer (see changelog.py).
    writer: ChangelogWriter | None = None

    def on_key_set(self, key: Any, value: Any) -> None:
        writer = self.writer
        if writer is None:
            super().on_key_set(key, value)
            return
        # No key TTLs and no sensors on this table: the write is all Faust would do here.
        writer.put(key, value, cast(int, self.partition_for_key(key)))

    def partition_for_key(self, key: Any) -> int | None:
        event = current_event()
        if event is not None:
            partition: int = event.message.partition
            return partition
        data = key.encode() if isinstance(key, str) else bytes(key)
        hashed: int = murmur2(data)
        return (hashed & 0x7FFFFFFF) % int(self.partitions or 1)

    def _to_key(self, k: Any) -> Any:
        return k.decode() if isinstance(k, bytes) else k

    def _to_value(self, v: Any) -> Any:
        return None if v is None else self.decode(v)


class App(faust.App):
    """The Faust app, with three changes to its consumer for latency and per-event cost.

    - No default ``Monitor`` sensor: it keeps per-event timing statistics for Faust's web
      views (disabled here), three calls per event; nothing in this service reads it.
    - ``inline.drain_messages`` instead of Faust's drain loop: whole fetched batches of
      ``agent-events`` go to ``Engine.fold_batch`` (see inline.py); and ``inline.new_offset``
      finds what a commit may commit without walking every acked offset in Python.
    - ``fetch_max_wait_ms``: Faust hardcodes 1,500 ms for its aiokafka consumer. Measured at a
      steady 1,000 events/s, deliveries then stalled for up to ~1.5 s at a time (p50 ~1 s from
      produce to fold); at 20 ms the fold sees events within tens of milliseconds.
    """

    fetch_max_wait_ms: int = 20
    changelog_writer: ChangelogWriter | None = None
    batch_handlers: dict[str, BatchHandler]

    def on_init_dependencies(self) -> Any:
        deps = super().on_init_dependencies()
        self.sensors.remove(self.monitor)
        consumer = self.consumer
        consumer._drain_messages = types.MethodType(drain_messages, consumer)  # type: ignore[attr-defined]
        consumer._new_offset = types.MethodType(new_offset, consumer)  # type: ignore[attr-defined]
        thread = consumer._thread  # type: ignore[attr-defined]
        create = thread._create_worker_consumer
        wait_ms = self.fetch_max_wait_ms

        def create_worker_consumer(transport: Any) -> Any:
            worker = create(transport)
            worker._fetch_max_wait_ms = wait_ms  # read by aiokafka when it starts its fetcher
            return worker

        thread._create_worker_consumer = create_worker_consumer
        return deps
