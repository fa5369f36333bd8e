import csv
import io
from datetime import UTC, datetime

import pytest

from opticall_common.csv_export import safe_cell, to_csv


@pytest.mark.parametrize("text", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text
    out = to_csv([{"agent_id": text, "n": 1}], ["agent_id", "n"])
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["agent_id"] == "'" + text


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert safe_cell(-3) == -3
    assert safe_cell(-0.5) == -0.5
    assert safe_cell("a-1001") == "a-1001"
    assert safe_cell(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2026-01-02T03:04:00Z"


def test_quoting_is_the_csv_modules() -> None:
    out = to_csv([{"q": 'sales, "east"\nline', "x": "ignored"}], ["q"])
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row == {"q": 'sales, "east"\nline'}
