"""Access-token revocation: the users whose earlier tokens, and the sessions whose tokens,
no longer count.

Access tokens are verified locally and live up to ``AUTH_ACCESS_TOKEN_TTL_SECONDS``. When auth
disables a user, changes their roles or password, it records the moment (``not_before``); when
a session ends (logout, or a refresh token presented twice) it records the session id, which
every access token carries as ``sid``. It serves both, as long as a token issued before them
can still be alive, at ``/.well-known/revocations``. Each verifier polls that list every
``REVOCATION_POLL_SECONDS`` and rejects a token whose ``sub`` is listed with
``iat <= not_before``, or whose ``sid`` is listed: worst-case delay one poll interval (plus
the request).

The rule, and why it is safe with whole-second ``iat``: auth publishes ``not_before`` as the
whole second (floor) of the change. A token issued before the change has
``iat = floor(issued) <= floor(change)``, so it is rejected, even in the same second. A token
auth issues afterwards carries ``iat >= floor(change) + 1`` (``TokenIssuer`` moves ``iat`` up
to the next second when needed), so a user re-enabled or re-logged-in within that second is
not locked out. Both values come from auth's clock, so the services' clocks do not matter.

A failed poll keeps the last list and logs a warning: auth being down must not lock everyone
out (nor forget a revocation already seen).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel

log = logging.getLogger(__name__)

REVOCATIONS_PATH = "/.well-known/revocations"


class Revocation(BaseModel):
    sub: str
    not_before: int


class SessionRevocation(BaseModel):
    sid: str


class RevocationDocument(BaseModel):
    """What auth serves at ``/.well-known/revocations`` (extra fields are ignored)."""

    revocations: list[Revocation]
    # Absent from an older auth's list: no session is revoked then.
    sessions: list[SessionRevocation] = []


def revocations_url_for(jwks_url: str) -> str:
    """The revocations endpoint at the JWKS URL's origin (both are served by auth)."""
    parts = urlsplit(jwks_url)
    return urlunsplit((parts.scheme, parts.netloc, REVOCATIONS_PATH, "", ""))


class RevocationList:
    """The last revocation list fetched, and the task that keeps fetching it."""

    def __init__(
        self,
        url: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.poll_seconds = poll_seconds
        self._http = http
        self._not_before: dict[str, int] = {}
        self._sessions: frozenset[str] = frozenset()
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def revoked(self, sub: str, iat: int, sid: str | None = None) -> bool:
        """True when a token of ``sub`` issued at ``iat`` predates a revocation of its user,
        or belongs to a revoked session ``sid`` (see above)."""
        if self._not_before:
            not_before = self._not_before.get(sub)
            if not_before is not None and iat <= not_before:
                return True
        return sid is not None and sid in self._sessions

    def replace(self, not_before: Mapping[str, int], sessions: Iterable[str] = ()) -> None:
        self._not_before = dict(not_before)
        self._sessions = frozenset(sessions)

    @property
    def entries(self) -> dict[str, int]:
        return dict(self._not_before)

    @property
    def sessions(self) -> frozenset[str]:
        return self._sessions

    async def poll_once(self) -> None:
        """Fetch and install the list; raises on any failure, leaving the last list in place."""
        if self.url is None:
            return
        client = self._http or httpx.AsyncClient(timeout=5)
        try:
            resp = await client.get(self.url)
            resp.raise_for_status()
            doc = RevocationDocument.model_validate_json(resp.content)
        finally:
            if self._http is None:
                await client.aclose()
        self.replace({r.sub: r.not_before for r in doc.revocations}, (s.sid for s in doc.sessions))

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception as exc:  # whatever went wrong, keep polling
                # Once per outage at warning level: every 5 s would flood the logs.
                level = logging.DEBUG if self._failing else logging.WARNING
                log.log(level, "revocation list poll failed; keeping the last list: %s", exc)
                self._failing = True
            else:
                if self._failing:
                    log.info("revocation list poll recovered")
                self._failing = False
            await asyncio.sleep(self.poll_seconds)

    def start(self) -> None:
        """Start polling (from a lifespan); a no-op without a URL or when already polling."""
        if self.url is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="revocation-poll")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
