import pytest
from pydantic import TypeAdapter, ValidationError

from opticall_common.text import CONTROL_MESSAGE, Identifier, Name, has_control

IDS = TypeAdapter(Identifier)
NAMES = TypeAdapter(Name)


@pytest.mark.parametrize("bad", ["a\x00b", "tab\there", "new\nline", "c\rr", "del\x7f", "c\x851"])
def test_control_characters_are_refused_in_ids_and_names(bad: str) -> None:
    for adapter in (IDS, NAMES):
        with pytest.raises(ValidationError, match="control characters"):
            adapter.validate_python(bad)
    assert has_control(bad)


def test_ordinary_text_passes_stripped() -> None:
    assert IDS.validate_python("  a-1001 ") == "a-1001"
    assert NAMES.validate_python("Zoë O'Brien-Łukasz 王") == "Zoë O'Brien-Łukasz 王"
    assert not has_control("Zoë")


def test_empty_and_long_are_refused() -> None:
    with pytest.raises(ValidationError):
        IDS.validate_python("   ")
    with pytest.raises(ValidationError):
        IDS.validate_python("x" * 129)
    assert "control" in CONTROL_MESSAGE
