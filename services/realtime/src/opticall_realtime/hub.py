"""WebSocket fan-out: one bounded queue per client, so a slow client never stalls the others.

``Hub.publish`` runs on the fold's hot path and never awaits: it serialises a change once and
``put_nowait``s it into each matching client's queue. A client whose queue is full has it
emptied and receives a fresh snapshot instead (resync), so it converges without holding up
anyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import orjson

from opticall_realtime.record import AgentRecord

# Queue item that tells the client's writer to send a snapshot instead of a delta.
RESYNC = ""


@dataclass(frozen=True, slots=True)
class Filters:
    queues: frozenset[str] | None = None
    states: frozenset[str] | None = None
    adherence: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        queues: Iterable[str] | None = None,
        states: Iterable[str] | None = None,
        adherence: Iterable[str] | None = None,
    ) -> Filters:
        def norm(values: Iterable[str] | None) -> frozenset[str] | None:
            if values is None:
                return None
            # "a,b" and repeated parameters both work.
            out = frozenset(v.strip() for item in values for v in item.split(",") if v.strip())
            return out or None

        return cls(norm(queues), norm(states), norm(adherence))

    def match(self, rec: AgentRecord) -> bool:
        return (
            (self.queues is None or rec.queue in self.queues)
            and (self.states is None or rec.state in self.states)
            and (self.adherence is None or rec.adherence in self.adherence)
        )


def select(records: Mapping[str, AgentRecord], filters: Filters) -> list[dict[str, object]]:
    return [rec.to_api(aid) for aid, rec in sorted(records.items()) if filters.match(rec)]


class Client:
    def __init__(self, filters: Filters, size: int) -> None:
        self.filters = filters
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=size)
        self.resync_pending = False
        self.resyncs = 0

    def offer(self, message: str) -> None:
        if self.resync_pending:
            return  # the coming snapshot will include this change
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.request_resync()

    def request_resync(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.resync_pending = True
        self.resyncs += 1
        self.queue.put_nowait(RESYNC)

    def send_control(self, message: str) -> None:
        """Pings and pongs: dropped under overflow, like deltas (the resync follows anyway)."""
        self.offer(message)


class Hub:
    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.clients: set[Client] = set()

    def add(self, filters: Filters) -> Client:
        client = Client(filters, self.queue_size)
        self.clients.add(client)
        return client

    def remove(self, client: Client) -> None:
        self.clients.discard(client)

    def publish(self, agent_id: str, rec: AgentRecord) -> None:
        message: str | None = None
        for client in self.clients:
            if client.filters.match(rec):
                if message is None:
                    body = {"type": "agent_state", "agent": rec.to_api(agent_id)}
                    message = orjson.dumps(body).decode()
                client.offer(message)


def snapshot_message(records: Mapping[str, AgentRecord], filters: Filters) -> str:
    return orjson.dumps({"type": "snapshot", "agents": select(records, filters)}).decode()
