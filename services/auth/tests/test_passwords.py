"""argon2id hashing: format, verification, unknown users, upgrades of the cost."""

from __future__ import annotations

from argon2 import extract_parameters

from opticall_auth.passwords import DEFAULT_MEMORY_KIB, DEFAULT_TIME_COST, Passwords


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


def test_unknown_users_verify_against_a_hash_of_the_current_cost() -> None:
    """The dummy verify costs what a real one does: same argon2 parameters as a new hash."""
    for time_cost, memory_kib, parallelism in ((1, 1024, 1), (2, 2048, 2)):
        pw = Passwords(time_cost=time_cost, memory_kib=memory_kib, parallelism=parallelism)
        real = extract_parameters(pw.hash("pw-12345678"))
        assert extract_parameters(pw.dummy_hash) == real == pw.parameters
        assert (real.time_cost, real.memory_cost, real.parallelism) == (
            time_cost,
            memory_kib,
            parallelism,
        )
        assert not pw.needs_rehash(pw.dummy_hash)


def test_defaults_are_owasps_argon2id_profile() -> None:
    params = Passwords().parameters
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert (params.memory_cost, params.time_cost) == (DEFAULT_MEMORY_KIB, DEFAULT_TIME_COST)


def test_old_default_hashes_are_marked_for_rehash() -> None:
    """Hashes stored under the previous default (m=64 MiB, t=3, p=4) migrate at next login."""
    old_params = Passwords(time_cost=3, memory_kib=65536, parallelism=4)
    stored = old_params.hash("pw-12345678")
    current = Passwords()
    assert current.needs_rehash(stored)
    assert current.verify(stored, "pw-12345678")
