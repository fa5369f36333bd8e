"""Request and response bodies of the auth API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from opticall_common.security import Role
from opticall_common.text import refuse_control

# The pattern admits no control character already; refuse_control says so in the words every
# service uses for it (opticall_common.text).
Username = Annotated[
    str,
    AfterValidator(refuse_control),
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", max_length=64),
]
# How long and how guessable is the policy's (password_policy.py, a setting); argon2 takes
# any length, but a megabyte "password" is only a way to burn our CPU.
NewPassword = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
AgentId = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(refuse_control)
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Body):
    # Loose on purpose: an unknown or odd username gets the same 401 as a wrong password.
    # Control characters are refused (422): no stored name has one, and PostgreSQL refuses
    # a NUL in a query parameter.
    username: Annotated[
        str, StringConstraints(min_length=1, max_length=150), AfterValidator(refuse_control)
    ]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class RefreshRequest(_Body):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str


class UserCreate(_Body):
    username: Username
    password: NewPassword
    roles: Annotated[list[Role], Field(min_length=1)]
    agent_id: AgentId | None = None


class UserPatch(_Body):
    roles: Annotated[list[Role], Field(min_length=1)] | None = None
    agent_id: AgentId | None = Field(default=None, description="null unlinks the agent")
    disabled: bool | None = None
    password: NewPassword | None = None


class UserOut(BaseModel):
    username: str
    roles: list[str]
    agent_id: str | None
    disabled: bool
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[Jwk]
