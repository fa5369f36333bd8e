"""The scheduling service's expected failures: each is a ``Problem``, so the common handlers
answer it as problem+json with its status and no code maps them anywhere else."""

from __future__ import annotations

from typing import Any

from opticall_common.problems import AlreadyExists, NotFound, Problem

__all__ = ["AlreadyExists", "Forbidden", "InvalidShifts", "NotFound", "ShiftOverlap"]


class InvalidShifts(Problem):
    """422 naming each bad item: ``errors`` is ``[{"index", "field", "message"}]``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        where = f"shift {first['index']}: " if "index" in first else ""
        super().__init__(422, f"{where}{first['field']}: {first['message']}", errors=errors)


class ShiftOverlap(Problem):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(409, detail, **extra)


class Forbidden(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)
