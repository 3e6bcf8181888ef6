"""The poll key: RFC 8032 vectors and signatures with a context."""

from __future__ import annotations

import hashlib

import pytest

from voting.protocol import signing
from voting.protocol.encoding import b64url_decode, b64url_encode, canonical

# RFC 8032 §7.1, TEST 1-3: (secret key, public key, message, signature), hex.
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        (
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        (
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
            "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        (
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290"
            "ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032_VECTORS)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    secret_raw, public_raw = bytes.fromhex(secret), bytes.fromhex(public)
    assert signing.public_key_of(secret_raw) == public_raw
    assert signing.sign_raw(secret_raw, bytes.fromhex(message)).hex() == signature
    assert signing.verify_raw(public_raw, bytes.fromhex(message), bytes.fromhex(signature))
    assert not signing.verify_raw(public_raw, b"x" + bytes.fromhex(message), bytes.fromhex(signature))


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return signing.generate_keypair()


def test_generate_keypair(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    assert len(private) == 32
    assert len(public) == 32
    assert signing.public_key_of(private) == public


def test_sign_is_over_context_zero_jcs(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    obj = {
        "size": 3,
        "poll": "p",
        "root": "00" * 32,
        "timestamp": "2027-01-12T09:00:00Z",
    }
    sig = signing.sign(private, signing.CONTEXT_TREE_HEAD, obj)
    message = b"yishi-ballot/1:tree-head\x00" + canonical(obj)
    assert signing.verify_raw(public, message, b64url_decode(sig))
    assert signing.verify(public, signing.CONTEXT_TREE_HEAD, obj, sig)
    assert signing.verify_canonical(public, signing.CONTEXT_TREE_HEAD, canonical(obj), sig)
    # Member order does not matter: JCS sorts.
    assert signing.verify(public, signing.CONTEXT_TREE_HEAD, dict(reversed(obj.items())), sig)


def test_contexts() -> None:
    assert signing.CONTEXT_MANIFEST == "yishi-ballot/1:manifest"
    assert signing.CONTEXT_TREE_HEAD == "yishi-ballot/1:tree-head"
    assert signing.CONTEXT_CLOSING == "yishi-ballot/1:closing"


def test_verify_refuses_other_context_object_or_key(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    obj = {"poll": "p", "size": 1}
    sig = signing.sign(private, signing.CONTEXT_CLOSING, obj)
    assert not signing.verify(public, signing.CONTEXT_MANIFEST, obj, sig)
    assert not signing.verify(public, signing.CONTEXT_CLOSING, {"poll": "p", "size": 2}, sig)
    _, other_public = signing.generate_keypair()
    assert not signing.verify(other_public, signing.CONTEXT_CLOSING, obj, sig)


@pytest.mark.parametrize(
    "sig",
    [
        "",
        "AAAA",
        "not base64!",
        "A" * 86 + "=",
        None,
        12,
        b64url_encode(bytes(64)),
        "A" * 87,
    ],
)
def test_verify_never_raises(keys: tuple[bytes, bytes], sig: object) -> None:
    _, public = keys
    assert not signing.verify(public, signing.CONTEXT_CLOSING, {"a": 1}, sig)  # type: ignore[arg-type]


def test_verify_with_bad_key_or_object(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    sig = signing.sign(private, signing.CONTEXT_CLOSING, {"a": 1})
    assert not signing.verify(public[:31], signing.CONTEXT_CLOSING, {"a": 1}, sig)
    assert not signing.verify(b"\xff" * 32, signing.CONTEXT_CLOSING, {"a": 1}, sig)
    assert not signing.verify(None, signing.CONTEXT_CLOSING, {"a": 1}, sig)  # type: ignore[arg-type]
    assert not signing.verify(public, signing.CONTEXT_CLOSING, {"a": 1.5e300}, sig)
    assert not signing.verify(public, signing.CONTEXT_CLOSING, {"a": object()}, sig)


def test_fingerprint(keys: tuple[bytes, bytes]) -> None:
    _, public = keys
    fingerprint = signing.fingerprint(public)
    assert fingerprint == hashlib.sha256(public).hexdigest()[:16]
    assert len(fingerprint) == 16
