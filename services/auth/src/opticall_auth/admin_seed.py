"""The first admin: created at start-up from ``AUTH_ADMIN_PASSWORD`` when no ``admin`` exists."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opticall_auth.config import Settings
from opticall_auth.models import User
from opticall_auth.password_policy import PasswordPolicy
from opticall_auth.passwords import Passwords
from opticall_common.db import transaction
from opticall_common.security import Role
from opticall_common.settings import Environment

log = logging.getLogger(__name__)
ADMIN = "admin"


class WeakAdminPassword(ValueError):
    """AUTH_ADMIN_PASSWORD fails the password policy: auth refuses to start."""


def seed_admin(
    settings: Settings,
    sessions: sessionmaker[Session],
    passwords: Passwords,
    policy: PasswordPolicy,
) -> None:
    """Create ``admin`` when a password is configured and no such user exists yet.

    Outside development the password must pass the same policy as any user's; development's
    ``admin123`` is for a laptop only (and refused by the settings in production).
    """
    password = settings.effective_admin_password
    if password is None:
        return
    with sessions() as probe:
        if probe.scalar(select(User.id).where(User.username == ADMIN)) is not None:
            return
    if settings.env is not Environment.development:
        weakness = policy.weakness(password, ADMIN)
        if weakness is not None:
            raise WeakAdminPassword(f"AUTH_ADMIN_PASSWORD is too weak: {weakness}")
    try:
        with transaction(sessions) as session:
            session.add(
                User(
                    username=ADMIN,
                    password_hash=passwords.hash(password),
                    roles=[Role.admin.value],
                    disabled=False,
                )
            )
    except IntegrityError:
        return  # another replica seeded it at the same moment
    log.info("seeded the admin user")
