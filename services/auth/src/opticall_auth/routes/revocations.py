"""``/.well-known/revocations``: who was disabled, demoted or re-keyed recently, and when;
and which sessions ended (logout, refresh-token reuse).

Every verifier (gateway and services, ``opticall_common.revocations``) polls it and rejects
the listed users' access tokens issued at or before ``not_before``, and every access token of
a listed session. Like the JWKS it needs no token, because the verifiers hold none.

It is internal, unlike the JWKS: it names users who were just disabled or demoted, which is
nobody else's business. So the gateway does not route it (it is not in
``opticall_gateway.route_table``, and the gateway answers 404 for any path outside its table),
and in Kubernetes the NetworkPolicies (deploy/k8s/base/networkpolicies.yaml,
``allow-auth-from-gateway-and-services``) let only the gateway and the services reach auth
at all; the Ingress sends everything to the gateway. Keep both that way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from opticall_auth.deps import RuntimeDep
from opticall_auth.models import SessionRevocation, User
from opticall_auth.tokens import not_before
from opticall_common.events import utcnow
from opticall_common.revocations import REVOCATIONS_PATH, RevocationDocument

router = APIRouter(tags=["internal"])

# Beyond the access-token TTL: the verifiers' 5 s exp leeway, and tokens issued under a
# longer TTL before a settings change.
SLACK = timedelta(seconds=60)


class RevocationsOut(RevocationDocument):
    generated_at: datetime


@router.get(REVOCATIONS_PATH, response_model=RevocationsOut, include_in_schema=False)
def revocations(rt: RuntimeDep, response: Response) -> dict[str, Any]:
    """Users whose tokens_valid_after, and sessions whose end, is recent enough to match an
    unexpired token."""
    now = utcnow()
    since = now - timedelta(seconds=rt.settings.access_token_ttl_seconds) - SLACK
    with rt.sessions() as session:
        rows = session.execute(
            select(User.username, User.tokens_valid_after)
            .where(User.tokens_valid_after > since)
            .order_by(User.username)
        ).all()
        sessions = session.scalars(
            select(SessionRevocation.sid)
            .where(SessionRevocation.revoked_at > since)
            .order_by(SessionRevocation.sid)
        ).all()
    # Polled every few seconds: an intermediate cache would only add to the delay.
    response.headers["Cache-Control"] = "no-store"
    return {
        "revocations": [
            {"sub": name, "not_before": not_before(at)} for name, at in rows if at is not None
        ],
        "sessions": [{"sid": sid} for sid in sessions],
        "generated_at": now,
    }
