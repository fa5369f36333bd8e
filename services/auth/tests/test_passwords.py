"""argon2id hashing: format, verification, unknown users, upgrades of the cost."""

from __future__ import annotations

from opticall_auth.passwords import Passwords


def test_hashes_are_argon2id_salted_and_verify() -> None:
    pw = Passwords(time_cost=1, memory_kib=1024)
    first, second = pw.hash("correct horse"), pw.hash("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second  # a random salt per hash
    assert pw.verify(first, "correct horse")
    assert not pw.verify(first, "correct horsE")


def test_unknown_user_never_verifies_even_with_any_password() -> None:
    pw = Passwords(time_cost=1, memory_kib=1024)
    assert not pw.verify(None, "")
    assert not pw.verify(None, "anything")


def test_garbage_hash_is_a_failed_login_not_an_error() -> None:
    pw = Passwords(time_cost=1, memory_kib=1024)
    assert not pw.verify("not-a-hash", "x")
    assert pw.needs_rehash("not-a-hash")


def test_raising_the_cost_marks_old_hashes_for_rehash() -> None:
    cheap = Passwords(time_cost=1, memory_kib=1024)
    dearer = Passwords(time_cost=2, memory_kib=2048)
    old = cheap.hash("pw-12345678")
    assert not cheap.needs_rehash(old)
    assert dearer.needs_rehash(old)
    assert dearer.verify(old, "pw-12345678")  # still accepted until upgraded
