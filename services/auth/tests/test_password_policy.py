"""The password policy (NIST SP 800-63B-4): length, breach corpus, context words."""

from __future__ import annotations

import pytest

from opticall_auth.password_policy import PasswordPolicy

POLICY = PasswordPolicy(min_length=15)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "at least 15 characters"),
        ("123456789012345", "breached"),  # from the breach corpus, as typed
        ("PasswordPassword", "breached"),  # ...and in lower case
        ("iloveyou12345678", "breached"),
        ("qwertyuiopasdfgh", "breached"),
        ("alice-in-wonderland-2026", "username"),
        ("aaaaaaaaaaaaaaaabbbb", "too few"),
        ("my-opticall-login-2026", "product"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    weakness = POLICY.weakness(password, "alice")
    assert weakness is not None and why in weakness, weakness


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Tr0ub4dor&3-xyzzy-plugh", "ūnicode pässwörd ok"]
)
def test_long_unlisted_passwords_pass(password: str) -> None:
    assert POLICY.weakness(password, "alice") is None


def test_the_minimum_is_a_setting() -> None:
    assert PasswordPolicy(min_length=21).weakness("correct horse staple", "bob") is not None
    assert PasswordPolicy(min_length=21).weakness("correct horse staples", "bob") is None
