"""Interval history refuses timestamps that pandas (reports, fits) cannot hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opticall_forecasting.schemas import IntervalIn


@pytest.mark.parametrize("when", ["0085-07-17T00:00:00Z", "2263-01-01T00:00:00Z"])
def test_out_of_range_years_are_refused(when: str) -> None:
    with pytest.raises(ValidationError, match="interval_start"):
        IntervalIn.model_validate({"interval_start": when, "offered": 1})


def test_ordinary_years_are_accepted() -> None:
    assert IntervalIn.model_validate({"interval_start": "2023-03-01T00:00:00Z", "offered": 1})
