"""``/.well-known/jwks.json``: the public keys that verify access tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from opticall_auth.deps import RuntimeDep
from opticall_auth.schemas import Jwks

router = APIRouter(tags=["auth"])


@router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    summary="The public keys that verify access tokens (Ed25519, RFC 8037)",
)
async def jwks(rt: RuntimeDep, response: Response) -> dict[str, Any]:
    # Verifiers cache it themselves and refetch on an unknown kid; a short max-age is enough.
    response.headers["Cache-Control"] = "public, max-age=60"
    return rt.keyring.jwks()
