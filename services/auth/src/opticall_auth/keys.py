"""Ed25519 signing keys: loading, generation, rotation with a grace period, and the JWKS.

Keys come either from ``AUTH_SIGNING_KEYS`` (PEMs; the first signs, the rest stay published
until the operator removes them; changing them needs a restart) or from ``AUTH_KEYS_DIR``,
where each ``*.pem`` file is one key, named for the moment it starts signing
(``ed25519-<ms>.pem``). The newest key whose moment has come signs; a key whose moment is
still ahead is already published (so every verifier and every auth replica knows it before
the first token it signs); an older key stays published until ``grace`` seconds after the
key that replaced it started signing.

Rotation without a restart: ``python -m opticall_auth.keys rotate`` adds a key that starts
signing ``--activate-in`` seconds later (default 30); every auth replica reads the folder
again every ``AUTH_KEYS_RELOAD_SECONDS`` (``KeyRing.reload``, from the runtime), so each
publishes it first and signs with it from that moment on. Verifiers fetch the JWKS again
when they meet an unknown ``kid``.

A key's ``kid`` is its RFC 7638 thumbprint, so every replica names the same key the same way.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)
_FILE_NAME = re.compile(r"^ed25519-(\d+)\.pem$")


class KeyConfigError(RuntimeError):
    """Signing keys are missing or unusable: the service refuses to start."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def thumbprint(public: Ed25519PublicKey) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    canonical = json.dumps(public_jwk(public), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    # When it starts signing. None: configured explicitly, signing (first) or published for
    # as long as it is configured.
    created_at: float | None = None

    @property
    def kid(self) -> str:
        return thumbprint(self.private.public_key())

    def active(self, now: float) -> bool:
        return self.created_at is None or self.created_at <= now


class KeyRing:
    """Keys newest first; the newest active one signs (module docstring).

    ``reload`` swaps the keys while requests sign and publish: both read one tuple, replaced
    whole, so a reader never sees a key without its kid.
    """

    def __init__(
        self,
        keys: list[SigningKey],
        grace_seconds: float,
        clock: Callable[[], float] = time.time,
        directory: Path | None = None,
    ) -> None:
        if not keys:
            raise KeyConfigError("no signing key")
        self.grace = grace_seconds
        self.directory = directory  # where reload() reads from; None: fixed keys
        self._clock = clock
        # Thumbprints cost a hash: computed once per key set.
        self._entries = tuple((k.kid, k) for k in keys)

    @property
    def keys(self) -> list[SigningKey]:
        return [k for _, k in self._entries]

    def _signing(self, entries: tuple[tuple[str, SigningKey], ...]) -> int:
        now = self._clock()
        for i, (_, key) in enumerate(entries):
            if key.active(now):
                return i
        return len(entries) - 1  # none active yet: the oldest, rather than none

    @property
    def signing_kid(self) -> str:
        entries = self._entries
        return entries[self._signing(entries)][0]

    def published(self) -> list[tuple[str, SigningKey]]:
        entries = self._entries
        now = self._clock()
        signing = self._signing(entries)
        out = [(kid, key) for kid, key in entries[: signing + 1]]  # coming, and signing
        for i in range(signing + 1, len(entries)):
            replaced_at = entries[i - 1][1].created_at
            if replaced_at is None or now < replaced_at + self.grace:
                out.append(entries[i])
        return out

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.published():
            jwk: dict[str, Any] = public_jwk(key.private.public_key())
            jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
            keys.append(jwk)
        return {"keys": keys}

    def sign(self, claims: dict[str, Any]) -> str:
        entries = self._entries
        kid, key = entries[self._signing(entries)]
        return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": kid})

    def reload(self) -> bool:
        """Read the keys folder again; True when its keys changed. Blocking (file reads).

        A folder that has become empty or unreadable keeps the keys we have: auth must go
        on signing, and the error is the operator's to fix (it is raised)."""
        if self.directory is None:
            return False
        keys = load_keys_dir(self.directory)
        if not keys:
            raise KeyConfigError(f"{self.directory} holds no *.pem key any more")
        entries = tuple((k.kid, k) for k in keys)
        if [(kid, k.created_at) for kid, k in entries] == [
            (kid, k.created_at) for kid, k in self._entries
        ]:
            return False
        self._entries = entries
        return True


def parse_pem_keys(text: str) -> list[Ed25519PrivateKey]:
    blocks = _PEM_BLOCK.findall(text)
    if not blocks:
        raise KeyConfigError("AUTH_SIGNING_KEYS holds no PEM block")
    keys = []
    for n, block in enumerate(blocks, 1):
        try:
            key = serialization.load_pem_private_key(block.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise KeyConfigError(f"signing key #{n} is not a readable PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyConfigError(f"signing key #{n} is not an Ed25519 key")
        keys.append(key)
    return keys


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def generate_key_file(directory: Path, now: float | None = None, activate_in: float = 0) -> Path:
    """A new key file named by the moment it starts signing (ms), ``activate_in`` seconds
    from ``now``; never overwrites (O_EXCL)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = int(((time.time() if now is None else now) + activate_in) * 1000)
    while True:
        path = directory / f"ed25519-{stamp}.pem"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            stamp += 1
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_pem(Ed25519PrivateKey.generate()))
        return path


def _created_at(path: Path) -> float:
    match = _FILE_NAME.match(path.name)
    return int(match.group(1)) / 1000 if match else path.stat().st_mtime


def load_keys_dir(directory: Path) -> list[SigningKey]:
    keys: list[SigningKey] = []
    for path in directory.glob("*.pem"):
        try:
            parsed = parse_pem_keys(path.read_text())
        except KeyConfigError as exc:
            raise KeyConfigError(f"{path}: {exc}") from exc
        keys.extend(SigningKey(k, _created_at(path)) for k in parsed)
    keys.sort(key=lambda k: k.created_at or 0.0, reverse=True)
    return keys


def load_keyring(
    signing_keys: str | None, keys_dir: Path, *, may_generate: bool, grace_seconds: float
) -> KeyRing:
    """From ``AUTH_SIGNING_KEYS`` if set, else ``AUTH_KEYS_DIR`` (generating a first key there
    only when ``may_generate``: production never invents a key nobody has backed up)."""
    if signing_keys and signing_keys.strip():
        return KeyRing([SigningKey(k) for k in parse_pem_keys(signing_keys)], grace_seconds)
    keys = load_keys_dir(keys_dir) if keys_dir.is_dir() else []
    if not keys:
        if not may_generate:
            raise KeyConfigError(
                f"no signing key: AUTH_SIGNING_KEYS is empty and AUTH_KEYS_DIR ({keys_dir}) "
                "holds no *.pem Ed25519 key"
            )
        generate_key_file(keys_dir)
        keys = load_keys_dir(keys_dir)
    return KeyRing(keys, grace_seconds, directory=keys_dir)


# Long enough for every auth replica to read the folder (AUTH_KEYS_RELOAD_SECONDS, 10 s) and
# publish the key before any token carries its kid.
DEFAULT_ACTIVATE_IN = 30.0


def main(argv: list[str] | None = None) -> None:
    """``python -m opticall_auth.keys rotate [--dir DIR] [--activate-in S]``: add a key."""
    parser = argparse.ArgumentParser(prog="python -m opticall_auth.keys")
    parser.add_argument("command", choices=["rotate"])
    parser.add_argument("--dir", type=Path, default=None, help="default: AUTH_KEYS_DIR")
    parser.add_argument(
        "--activate-in",
        type=float,
        default=DEFAULT_ACTIVATE_IN,
        help="seconds before it signs; it is published at once (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    directory = args.dir
    if directory is None:
        from opticall_auth.config import get_settings

        directory = get_settings().keys_dir
    path = generate_key_file(directory, activate_in=args.activate_in)
    # A CLI's one line of output, not service logging.
    print(  # noqa: T201
        f"new signing key {path}: running auth publishes it within AUTH_KEYS_RELOAD_SECONDS "
        f"and signs with it in {args.activate_in:g} s, no restart needed"
    )


if __name__ == "__main__":
    main()
