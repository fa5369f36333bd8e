"""Text that names things: identifiers and display names never carry control characters.

A NUL, a newline or an escape in an agent id, a queue or a user name breaks logs, CSV reports,
PostgreSQL (which refuses NUL) and the terminals of whoever reads them. Every service's
models use these types for ids and names, so the rule and its message are the same everywhere.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# C0 and C1 control characters and DEL (Unicode category Cc).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "must not contain control characters (U+0000-U+001F, U+007F-U+009F)"


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def refuse_control(value: str) -> str:
    if has_control(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(refuse_control),
]
"""An id: an agent, a queue, a shift's activity, a request id."""

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(refuse_control),
]
"""A display name: a person's or a team's."""
