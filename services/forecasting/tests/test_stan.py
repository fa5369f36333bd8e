"""The orjson Stan backend fits exactly what Prophet's own backend fits."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
from prophet import Prophet
from prophet.models import CmdStanPyBackend

from opticall_forecasting.fitting import FitSpec, build_prophet, fit_prophet, quiet_logs
from opticall_forecasting.stan import OrjsonCmdStanBackend

_spec = importlib.util.spec_from_file_location("fc_helpers", Path(__file__).with_name("helpers.py"))
assert _spec and _spec.loader
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _fit(frame: pd.DataFrame, backend: CmdStanPyBackend) -> np.ndarray:  # type: ignore[type-arg]
    quiet_logs()
    model = Prophet(uncertainty_samples=0)
    model.stan_backend = backend
    model.fit(frame)
    future = model.make_future_dataframe(periods=96, freq="15min", include_history=False)
    return np.asarray(model.predict(future)["yhat"].to_numpy(), dtype=np.float64)


def test_same_parameters_and_forecast_as_prophets_backend() -> None:
    frame = helpers.real_frame().iloc[: 14 * 96]
    ours = OrjsonCmdStanBackend()
    theirs = CmdStanPyBackend()
    np.testing.assert_array_equal(_fit(frame, ours), _fit(frame, theirs))
    assert ours.stan_fit is not None and theirs.stan_fit is not None
    np.testing.assert_array_equal(
        ours.stan_fit.optimized_params_np, theirs.stan_fit.optimized_params_np
    )


def test_custom_fit_arguments_take_the_library_path() -> None:
    frame = helpers.real_frame().iloc[: 3 * 96]
    model = Prophet(uncertainty_samples=0)
    model.stan_backend = OrjsonCmdStanBackend()
    model.fit(frame, algorithm="Newton")  # passed through to cmdstanpy unchanged
    assert model.params["k"].shape == (1, 1)


def test_contact_center_model_uses_the_orjson_backend_and_no_samples_works() -> None:
    frame = helpers.real_frame().iloc[: 15 * 96]
    spec = FitSpec(
        ds=frame["ds"].to_numpy(dtype="datetime64[ns]"),
        y=frame["y"].to_numpy(),
        future=helpers.stamps("2023-03-16", 96, "15min"),
        step=900.0,
        uncertainty_samples=0,
    )
    assert isinstance(build_prophet(spec, frame).stan_backend, OrjsonCmdStanBackend)
    out = fit_prophet(spec)
    assert out.model == "prophet"
    assert np.isfinite(out.yhat).all() and out.yhat.max() > 0
    np.testing.assert_array_equal(out.lower, out.yhat)
    np.testing.assert_array_equal(out.upper, out.yhat)
