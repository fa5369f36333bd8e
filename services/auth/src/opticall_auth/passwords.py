"""argon2id password hashing, bounded so a login burst cannot exhaust memory."""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    """Hash and verify with argon2id; call from worker threads (each hash takes ~50 ms of CPU).

    Every hash holds ``memory_kib`` of RAM, so at most a few run at once, whatever the size of
    the thread pool; the rest queue, which also caps the CPU an attacker can make us burn.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=4, type=Type.ID
        )
        self._slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
        # Verified against when the user does not exist, so unknown users cost the same time.
        with self._slots:
            self._dummy = self._hasher.hash(os.urandom(16).hex())

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``None`` (no such user) burns a dummy verify."""
        with self._slots:
            try:
                return self._hasher.verify(stored_hash or self._dummy, password) and (
                    stored_hash is not None
                )
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """After the cost settings go up, old hashes are upgraded at the next good login."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
