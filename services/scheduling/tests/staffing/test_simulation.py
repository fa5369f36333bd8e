"""Service level against a discrete-event simulation (ciw), within ±2 percentage points.

Seeds are fixed so the runs are reproducible; ~16,000 contacts per case keep the statistical
error near 1 point while the whole file runs in a few seconds.
"""

from __future__ import annotations

import ciw
import pytest

from opticall_scheduling.staffing.erlang_a import erlang_a_metrics
from opticall_scheduling.staffing.erlang_c import erlang_c_metrics

CONTACTS = 16_000


def simulate(
    lam: float, aht: float, agents: int, answer: float, patience: float | None, seed: int
) -> tuple[float, float]:
    """(share of all contacts answered within ``answer`` seconds, share abandoned)."""
    kwargs = {}
    if patience is not None:
        kwargs["reneging_time_distributions"] = [ciw.dists.Exponential(1 / patience)]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(1 / aht)],
        number_of_servers=[agents],
        **kwargs,
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    horizon = CONTACTS / lam
    sim.simulate_until_max_time(horizon)
    warm_up = horizon * 0.1
    records = [r for r in sim.get_all_records() if r.arrival_date > warm_up]
    served = [r for r in records if r.record_type == "service"]
    abandoned = [r for r in records if r.record_type == "renege"]
    offered = len(served) + len(abandoned)
    in_time = sum(1 for r in served if r.waiting_time <= answer)
    return in_time / offered, len(abandoned) / offered


@pytest.mark.parametrize(
    ("lam", "aht", "agents", "answer"),
    [(1.2 / 60, 60, 2, 20), (3 / 120, 120, 5, 15), (0.05, 120, 8, 20)],
)
def test_erlang_c_service_level_matches_simulation(
    lam: float, aht: float, agents: int, answer: float
) -> None:
    sl, _ = simulate(lam, aht, agents, answer, None, seed=11)
    expected = erlang_c_metrics(agents, lam * aht, aht, answer).service_level
    assert abs(sl - expected) <= 0.02, (sl, expected)


@pytest.mark.parametrize(
    ("lam", "aht", "agents", "answer", "patience"),
    [(3.5 / 100, 100, 3, 10, 60), (0.05, 120, 5, 20, 90)],
)
def test_erlang_a_matches_simulation_with_abandonment(
    lam: float, aht: float, agents: int, answer: float, patience: float
) -> None:
    sl, abandoned = simulate(lam, aht, agents, answer, patience, seed=5)
    m = erlang_a_metrics(agents, lam, aht, patience, answer)
    assert abs(sl - m.service_level) <= 0.02, (sl, m.service_level)
    assert m.abandonment is not None
    assert abs(abandoned - m.abandonment) <= 0.02, (abandoned, m.abandonment)
