"""argon2id password hashing (the algorithm; how many run at once is ``hashing.HashLimiter``'s).

The default cost is OWASP's Password Storage Cheat Sheet first argon2id option, m=19 MiB, t=2,
p=1 (OWASP gives m=46 MiB, t=1, p=1 as an equally strong alternative; RFC 9106 section 4's
"second recommended option", m=64 MiB, t=3, p=4, was the previous default). Why this one:

* p=1 keeps one hash on one core, so ``AUTH_HASH_CONCURRENCY`` = cores is exactly the CPU a
  login burst may take; p=4 made every hash spread over both cores of a 2-core node.
* 19 MiB a hash keeps concurrent hashing memory small (cores x 19 MiB) and, measured on our
  2-core node, 19 MiB with t=2 cost about half the time of 46 MiB with t=1 (memory bandwidth,
  not the pass count, dominates) for the same OWASP-rated strength.
* t=2 rather than t=1: the published time-memory trade-off attacks on Argon2 do best against
  a single pass.

All three are settings (``AUTH_ARGON2_*``); stored hashes with other parameters are upgraded
at the user's next good login (``needs_rehash``).
"""

from __future__ import annotations

import os
import time

from argon2 import Parameters, PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

DEFAULT_MEMORY_KIB = 19 * 1024
DEFAULT_TIME_COST = 2
DEFAULT_PARALLELISM = 1


class Passwords:
    """Hash and verify with argon2id; blocking (tens of ms of CPU), so call from a thread."""

    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_kib: int = DEFAULT_MEMORY_KIB,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the user does not exist. Made with the current parameters, so
        # an unknown user costs exactly what a known one does: no enumeration by timing.
        started = time.perf_counter()
        self.dummy_hash = self._hasher.hash(os.urandom(16).hex())
        # A first estimate of the cost of one hash, for the limiter's expected waits.
        self.seconds_per_hash = time.perf_counter() - started

    @property
    def parameters(self) -> Parameters:
        return extract_parameters(self.dummy_hash)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``None`` (no such user) burns a dummy verify."""
        try:
            return self._hasher.verify(stored_hash or self.dummy_hash, password) and (
                stored_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """After the cost settings change, old hashes are upgraded at the next good login."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
