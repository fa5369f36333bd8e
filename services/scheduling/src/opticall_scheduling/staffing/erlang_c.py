"""Erlang B and Erlang C (M/M/n), exact and numerically stable at thousands of agents.

No factorials or powers: the blocking probability comes from the Erlang B recursion
``B(n) = a·B(n-1) / (n + a·B(n-1))``, whose values stay in [0, 1], and Erlang C follows from
``C = n·B / (n - a·(1 - B))``. Staffing walks ``n`` upwards once, carrying ``B`` along, so
finding the fewest agents costs O(n) per interval instead of O(n^2); a whole batch of
intervals walks together as numpy vectors up to where any of them could be done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """What a given number of agents achieves on an interval's traffic."""

    agents: int
    service_level: float
    asa_seconds: float | None  # None when the queue is unstable (the wait grows without bound)
    occupancy: float
    p_wait: float
    abandonment: float | None = None  # Erlang A only


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/n/n with offered ``load`` in Erlangs."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c_metrics(agents: int, load: float, aht: float, answer_seconds: float) -> QueueMetrics:
    """Service level, true ASA, occupancy and P(wait) of M/M/n with ``agents`` servers."""
    if load <= 0:
        return QueueMetrics(agents, 1.0, 0.0, 0.0, 0.0)
    if agents <= load:
        # Unstable: every contact waits and the queue grows for as long as the overload lasts.
        return QueueMetrics(agents, 0.0, None, 1.0, 1.0)
    b = erlang_b(agents, load)
    return _metrics_from_b(agents, load, aht, answer_seconds, b)


def _metrics_from_b(
    agents: int, load: float, aht: float, answer_seconds: float, b: float
) -> QueueMetrics:
    p_wait = agents * b / (agents - load * (1.0 - b))
    excess = agents - load
    sl = 1.0 - p_wait * math.exp(-excess * answer_seconds / aht)
    asa = p_wait * aht / excess
    return QueueMetrics(agents, max(0.0, sl), asa, load / agents, p_wait)


def occupancy_floor(load: float, max_occupancy: float) -> int:
    """Fewest agents whose occupancy ``load / n`` stays within the cap."""
    return math.ceil(load / max_occupancy) if load > 0 else 0


def staff_erlang_c(
    load: NDArray[np.float64],
    aht: NDArray[np.float64],
    answer_seconds: float,
    service_level: float,
    max_occupancy: float,
) -> list[QueueMetrics]:
    """For every interval, the fewest agents meeting the service level and the occupancy cap.

    ``load`` is the offered traffic in Erlangs (volume * AHT / interval length). No interval can
    be done below a stable queue (n > load) or its occupancy floor, so the recursion runs up
    to there for all intervals at once as numpy vectors, then each interval steps on alone
    (rarely more than a few steps) until its service level is met.
    """
    floor_occ = np.array([occupancy_floor(float(x), max_occupancy) for x in load], dtype=np.int64)
    first = np.maximum(np.floor(load).astype(np.int64) + 1, floor_occ)
    b = np.ones_like(load)
    for k in range(1, int(first.max(initial=0))):
        ab = load * b
        b = np.where(first > k, ab / (k + ab), b)
    out = []
    for x, h, f, bb in zip(load.tolist(), aht.tolist(), first.tolist(), b.tolist(), strict=True):
        if x <= 0:
            out.append(QueueMetrics(0, 1.0, 0.0, 0.0, 0.0))
            continue
        n, ratio = f - 1, answer_seconds / h
        while True:
            n += 1
            ab = x * bb
            bb = ab / (n + ab)
            p_wait = n * bb / (n - x * (1.0 - bb))
            if 1.0 - p_wait * math.exp(-(n - x) * ratio) >= service_level:
                out.append(_metrics_from_b(n, x, h, answer_seconds, bb))
                break
    return out


def productive_agents(headcount: int, shrinkage: float) -> int:
    """Agents actually on the phones out of a scheduled headcount.

    The epsilon keeps ``20 * 0.7`` (13.999999999999998 in binary) from losing an agent.
    """
    return math.floor(headcount * (1.0 - shrinkage) + 1e-9)


def with_shrinkage(agents_raw: int, shrinkage: float) -> int:
    """Scheduled headcount needed so that ``agents_raw`` remain after shrinkage."""
    return math.ceil(agents_raw / (1.0 - shrinkage) - 1e-9)
