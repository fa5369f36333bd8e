"""Staffing needs no database of its own: one SQLite file is enough for the app to start."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scheduling.db'}"
