"""Settings: the job's extra candidates must be models the engine has."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opticall_forecasting.config import Settings
from opticall_forecasting.engine import MODELS


def test_extra_candidates_are_checked_against_the_engines_models() -> None:
    assert Settings(OPTICALL_ENV="test", job_extra_candidates=("mstl",)).job_extra_candidates == (
        "mstl",
    )
    with pytest.raises(ValidationError, match="arima"):
        Settings(OPTICALL_ENV="test", job_extra_candidates=("arima",))


def test_the_settings_list_of_models_is_the_engines() -> None:
    for name in MODELS:
        Settings(OPTICALL_ENV="test", job_extra_candidates=(name,))
