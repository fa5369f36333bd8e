"""Signing keys: RFC 7638 kids, generation and reuse, PEM loading, rotation with a grace period."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from opticall_auth.keys import (
    KeyConfigError,
    KeyRing,
    SigningKey,
    generate_key_file,
    load_keyring,
    load_keys_dir,
    private_pem,
    thumbprint,
)
from opticall_auth.runtime import LocalTokenVerifier
from opticall_common.problems import Problem
from opticall_common.security import TokenVerifier


def _claims(ttl: int = 600) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": "opticall-auth",
        "aud": "opticall",
        "sub": "u",
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "typ": "access",
        "roles": ["agent"],
    }


def _verifier(ring: KeyRing) -> TokenVerifier:
    # The common verifier, fed the ring's JWKS (and refetching it locally on an unknown kid).
    return LocalTokenVerifier(ring, "opticall-auth", "opticall")


def test_kid_is_the_rfc_7638_thumbprint_from_rfc_8037() -> None:
    # RFC 8037 appendix A.1 (key) and A.3 (its thumbprint).
    d = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    key = Ed25519PrivateKey.from_private_bytes(d)
    assert thumbprint(key.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_keys_dir_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    first = load_keyring(None, tmp_path / "keys", may_generate=True, grace_seconds=60)
    again = load_keyring(None, tmp_path / "keys", may_generate=True, grace_seconds=60)
    assert first.signing_kid == again.signing_kid
    files = list((tmp_path / "keys").glob("*.pem"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o077 == 0  # private key readable by its owner only


def test_no_key_and_no_generation_refuses_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="AUTH_SIGNING_KEYS"):
        load_keyring(None, tmp_path / "empty", may_generate=False, grace_seconds=60)


def test_configured_pems_first_signs_and_all_are_published(tmp_path: Path) -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pems = (private_pem(a) + b"\n" + private_pem(b)).decode()
    ring = load_keyring(pems, tmp_path / "unused", may_generate=False, grace_seconds=0)
    kids = [k["kid"] for k in ring.jwks()["keys"]]
    assert kids == [thumbprint(a.public_key()), thumbprint(b.public_key())]
    assert ring.signing_kid == kids[0]
    assert not (tmp_path / "unused").exists()  # configured keys: nothing generated


@pytest.mark.parametrize(
    "pem",
    [
        "not a key at all",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
    ],
    ids=["no-pem", "broken-pem", "not-ed25519"],
)
def test_unusable_configured_keys_are_refused(pem: str, tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError):
        load_keyring(pem, tmp_path, may_generate=True, grace_seconds=0)


def test_jwks_members_are_okp_ed25519_eddsa_sig(tmp_path: Path) -> None:
    ring = load_keyring(None, tmp_path, may_generate=True, grace_seconds=0)
    (jwk,) = ring.jwks()["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    assert jwk["alg"] == "EdDSA" and jwk["use"] == "sig"
    assert "d" not in jwk  # never the private part


async def test_rotation_newest_signs_old_stays_valid_for_the_grace_period(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    t0 = time.time() - 1000
    generate_key_file(keys, now=t0)
    old_ring = load_keyring(None, keys, may_generate=False, grace_seconds=300)
    old_token = old_ring.sign(_claims())

    rotated_at = time.time() - 10
    generate_key_file(keys, now=rotated_at)
    clock = [time.time()]
    loaded = load_keyring(None, keys, may_generate=False, grace_seconds=300)
    ring = KeyRing(loaded.keys, 300, clock=lambda: clock[0])
    assert ring.signing_kid != old_ring.signing_kid  # the newest key signs
    new_token = ring.sign(_claims())

    # Within the grace period both keys are published: tokens of either verify.
    assert [k["kid"] for k in ring.jwks()["keys"]] == [ring.signing_kid, old_ring.signing_kid]
    verifier = _verifier(ring)
    assert (await verifier.verify(old_token)).username == "u"
    assert (await verifier.verify(new_token)).username == "u"

    # After it, the old key is gone from the JWKS and its tokens fail.
    clock[0] = rotated_at + 301
    assert [k["kid"] for k in ring.jwks()["keys"]] == [ring.signing_kid]
    later = _verifier(ring)
    assert (await later.verify(new_token)).username == "u"
    with pytest.raises(Problem) as err:
        await later.verify(old_token)
    assert err.value.status == 401


def test_explicit_keys_have_no_expiry() -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ring = KeyRing([SigningKey(a), SigningKey(b)], 0, clock=lambda: 1e12)
    assert len(ring.jwks()["keys"]) == 2


def test_rotate_command_adds_a_newer_signing_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opticall_auth.keys import main

    keys = tmp_path / "keys"
    generate_key_file(keys, now=time.time() - 60)
    before = load_keyring(None, keys, may_generate=False, grace_seconds=3600)
    main(["rotate", "--dir", str(keys), "--activate-in", "0"])
    assert "no restart needed" in capsys.readouterr().out
    after = load_keyring(None, keys, may_generate=False, grace_seconds=3600)
    assert after.signing_kid != before.signing_kid
    assert before.signing_kid in [k["kid"] for k in after.jwks()["keys"]]  # in its grace period


def test_a_rotated_key_is_published_first_then_signs_then_the_old_one_retires(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    now = [1_000_000.0]
    generate_key_file(keys, now=now[0] - 60)
    ring = KeyRing(load_keys_dir(keys), 100, clock=lambda: now[0], directory=keys)
    old = ring.signing_kid
    assert ring.reload() is False  # nothing new in the folder
    generate_key_file(keys, now=now[0], activate_in=30)
    assert ring.reload() is True
    published = [k["kid"] for k in ring.jwks()["keys"]]
    new = next(kid for kid in published if kid != old)
    # Published at once, so every verifier can know it before a token carries it...
    assert ring.signing_kid == old and set(published) == {old, new}
    # ...and it signs from its activation on, the old key published through its grace.
    now[0] += 31
    assert ring.signing_kid == new
    assert jwt.get_unverified_header(ring.sign({"sub": "x"}))["kid"] == new
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old, new}
    now[0] += 100
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new]


def test_an_emptied_keys_folder_keeps_the_keys_in_use(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    path = generate_key_file(keys)
    ring = load_keyring(None, keys, may_generate=False, grace_seconds=3600)
    kid = ring.signing_kid
    path.unlink()
    with pytest.raises(KeyConfigError):
        ring.reload()
    assert ring.signing_kid == kid


async def test_auth_reads_the_folder_at_once_for_a_kid_it_does_not_know(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    generate_key_file(keys, now=time.time() - 60)
    ring = load_keyring(None, keys, may_generate=False, grace_seconds=3600)
    verifier = LocalTokenVerifier(ring, "opticall-auth", "opticall")
    # Another replica's key, added to the shared folder and already signing.
    other = load_keyring(None, keys, may_generate=False, grace_seconds=3600)
    generate_key_file(keys, activate_in=-1)
    other.reload()
    token = other.sign(
        {"sub": "u", "iss": "opticall-auth", "aud": "opticall", "typ": "access", "roles": [],
         "iat": int(time.time()), "exp": int(time.time()) + 60}
    )  # fmt: skip
    principal = await verifier.verify(token)
    assert principal.username == "u"
    assert ring.signing_kid == other.signing_kid  # and this replica signs with it too now
