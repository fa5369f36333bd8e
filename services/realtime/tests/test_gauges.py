"""Gauges of the live view: agents by state and adherence, connected WebSocket clients."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from opticall_realtime.gauges import ViewCollector
from opticall_realtime.hub import Filters, Hub
from opticall_realtime.record import AgentRecord
from opticall_realtime.view import AgentView


def rec(state: str, adherence: str, seq: int = 1) -> AgentRecord:
    return AgentRecord(state, 1.0, 1.0, f"e{seq}", "q", None, adherence, None, None, seq)


def test_gauges_count_the_view_and_clients() -> None:
    hub = Hub(10)
    view = AgentView(hub)
    view.put("a", rec("on_call", "in"))
    view.put("b", rec("on_call", "out"))
    view.put("c", rec("break", "unscheduled"))
    hub.add(Filters.of())
    registry = CollectorRegistry()
    collector = ViewCollector()
    registry.register(collector)
    assert generate_latest(registry) == b""  # not attached: no series
    collector.attach(view, hub)
    text = generate_latest(registry).decode()
    assert 'opticall_realtime_agents_by_state{state="on_call"} 2.0' in text
    assert 'opticall_realtime_agents_by_state{state="logged_out"} 0.0' in text
    assert 'opticall_realtime_agents_by_adherence{adherence="out"} 1.0' in text
    assert "opticall_realtime_websocket_clients 1.0" in text
    view.put("c", rec("available", "in", seq=2))
    text = generate_latest(registry).decode()
    assert 'opticall_realtime_agents_by_state{state="break"} 0.0' in text
