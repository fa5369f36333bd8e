"""Database URLs as operators write them work with the driver we ship."""

from __future__ import annotations

from opticall_common.db import normalise_url


def test_plain_postgresql_urls_use_psycopg2() -> None:
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg2://u:p@h/db"
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg2://u:p@h/db"
    assert normalise_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
