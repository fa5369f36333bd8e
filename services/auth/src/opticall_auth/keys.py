"""Ed25519 signing keys: loading, generation, rotation with a grace period, and the JWKS.

Keys come either from ``AUTH_SIGNING_KEYS`` (PEMs; the first signs, the rest stay published
until the operator removes them) or from ``AUTH_KEYS_DIR``, where each ``*.pem`` file is one
key: the newest signs, and an older key stays published until ``grace`` seconds after the key
that replaced it was created. ``python -m opticall_auth.keys rotate`` adds a new key there;
auth signs with it after its next restart.

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
    # None: configured explicitly, published for as long as it is configured.
    created_at: float | None = None

    @property
    def kid(self) -> str:
        return thumbprint(self.private.public_key())


class KeyRing:
    """``keys`` newest first: ``keys[0]`` signs; the others are published while in grace."""

    def __init__(
        self, keys: list[SigningKey], grace_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        if not keys:
            raise KeyConfigError("no signing key")
        self.keys = keys
        self.grace = grace_seconds
        self._clock = clock
        self._kids = [k.kid for k in keys]  # thumbprints cost a hash; compute them once

    @property
    def signing_kid(self) -> str:
        return self._kids[0]

    def published(self) -> list[tuple[str, SigningKey]]:
        now = self._clock()
        out = [(self._kids[0], self.keys[0])]
        for i in range(1, len(self.keys)):
            replaced_at = self.keys[i - 1].created_at
            if replaced_at is None or now < replaced_at + self.grace:
                out.append((self._kids[i], self.keys[i]))
        return out

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.published():
            jwk: dict[str, Any] = public_jwk(key.private.public_key())
            jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
            keys.append(jwk)
        return {"keys": keys}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.keys[0].private, algorithm=ALGORITHM, headers={"kid": self._kids[0]}
        )


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


def generate_key_file(directory: Path, now: float | None = None) -> Path:
    """A new key file named by its creation time in ms; never overwrites (O_EXCL)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = int((time.time() if now is None else now) * 1000)
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
    return KeyRing(keys, grace_seconds)


def main(argv: list[str] | None = None) -> None:
    """``python -m opticall_auth.keys rotate [--dir DIR]``: add a new signing key to a keys dir."""
    parser = argparse.ArgumentParser(prog="python -m opticall_auth.keys")
    parser.add_argument("command", choices=["rotate"])
    parser.add_argument("--dir", type=Path, default=None, help="default: AUTH_KEYS_DIR")
    args = parser.parse_args(argv)
    directory = args.dir
    if directory is None:
        from opticall_auth.config import get_settings

        directory = get_settings().keys_dir
    path = generate_key_file(directory)
    # A CLI's one line of output, not service logging.
    print(f"new signing key {path}; restart auth to sign with it")  # noqa: T201


if __name__ == "__main__":
    main()
