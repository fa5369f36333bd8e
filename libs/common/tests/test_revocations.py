"""TokenVerifier + the revocation list: revoked tokens fail, even cached ones; auth down keeps
the last list; the iat rule rejects a token from the revocation's own second."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest

from opticall_common.problems import Problem
from opticall_common.revocations import RevocationList, revocations_url_for
from opticall_common.security import TokenVerifier
from opticall_common.settings import ServiceSettings
from opticall_common.testing import TokenFactory

URL = "http://auth.test/.well-known/revocations"


class FakeAuth:
    """The revocations endpoint behind an httpx MockTransport; ``down`` makes it fail."""

    def __init__(self) -> None:
        self.entries: dict[str, int] = {}
        self.down = False
        self.calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        assert request.url == URL
        if self.down:
            return httpx.Response(503, json={"detail": "down"})
        body = {
            "revocations": [{"sub": s, "not_before": nb} for s, nb in self.entries.items()],
            "generated_at": "2026-11-25T21:00:00Z",
        }
        return httpx.Response(200, content=json.dumps(body))


def make_verifier(factory: TokenFactory, auth: FakeAuth, poll: float = 0.01) -> TokenVerifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(auth.handler))
    v = TokenVerifier(
        "http://auth.test/.well-known/jwks.json",
        factory.issuer,
        factory.audience,
        http=http,
        revocations_url=URL,
        revocation_poll_seconds=poll,
    )
    v.set_keys(factory.jwks())
    return v


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.01)


async def test_cached_token_is_rejected_once_the_list_names_its_user() -> None:
    factory, auth = TokenFactory(), FakeAuth()
    v = make_verifier(factory, auth)
    token = factory.token(sub="sup.1", roles=("supervisor",))
    other = factory.token(sub="sup.2", roles=("supervisor",))
    v.start()
    try:
        assert (await v.verify(token)).username == "sup.1"  # now in the verified cache
        auth.entries = {"sup.1": int(time.time())}
        await until(lambda: v.revocations.entries == auth.entries)
        with pytest.raises(Problem) as exc:
            await v.verify(token)
        assert exc.value.status == 401 and exc.value.detail == "token revoked"
        assert (await v.verify(other)).username == "sup.2"  # only the listed user
    finally:
        await v.stop()


async def test_failed_poll_keeps_the_last_list(caplog: pytest.LogCaptureFixture) -> None:
    factory, auth = TokenFactory(), FakeAuth()
    v = make_verifier(factory, auth)
    auth.entries = {"gone": int(time.time())}
    await v.revocations.poll_once()
    auth.down = True
    with pytest.raises(httpx.HTTPStatusError):
        await v.revocations.poll_once()
    v.start()
    try:
        calls = auth.calls
        await until(lambda: auth.calls >= calls + 3)  # the loop survives repeated failures
        assert v.revocations.entries == {"gone": auth.entries["gone"]}
        with pytest.raises(Problem):
            await v.verify(factory.token(sub="gone"))
        assert (await v.verify(factory.token(sub="kept"))).username == "kept"
        warnings = [r for r in caplog.records if "revocation list poll failed" in r.message]
        assert [r.levelname for r in warnings][:1] == ["WARNING"]
        auth.down = False
        auth.entries = {}
        await until(lambda: v.revocations.entries == {})
        assert (await v.verify(factory.token(sub="gone"))).username == "gone"
    finally:
        await v.stop()
    assert v.revocations._task is None


async def test_garbage_from_auth_keeps_the_last_list() -> None:
    lst = RevocationList(
        URL,
        http=httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>"))
        ),
    )
    lst.replace({"x": 5})
    with pytest.raises(ValueError):
        await lst.poll_once()
    assert lst.entries == {"x": 5}


async def test_iat_rule_rejects_up_to_and_including_the_revocation_second() -> None:
    factory = TokenFactory()
    v = factory.verifier()
    now = int(time.time())
    v.revocations.replace({"u": now})
    for iat in (now - 100, now - 1, now):
        with pytest.raises(Problem):
            await v.verify(factory.token(sub="u", iat=iat))
    # A token auth issues after the change carries iat >= not_before + 1 and passes.
    assert (await v.verify(factory.token(sub="u", iat=now + 1))).username == "u"


def test_revocations_url_defaults_to_the_jwks_origin() -> None:
    assert revocations_url_for("https://auth:5001/.well-known/jwks.json?x=1") == (
        "https://auth:5001/.well-known/revocations"
    )
    s = ServiceSettings(JWKS_URL="http://a:1/keys/jwks.json")
    assert s.effective_revocations_url == "http://a:1/.well-known/revocations"
    assert s.revocation_poll_seconds == 5.0
    s = ServiceSettings(JWKS_URL="http://a:1/jwks", REVOCATIONS_URL="http://b/r")
    assert s.effective_revocations_url == "http://b/r"
    v = TokenVerifier.from_settings(s)
    assert v.revocations.url == "http://b/r"
