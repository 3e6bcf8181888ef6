"""The poll's Ed25519 key (RFC 8032): manifest, tree heads and closing.

Every signature is over ``context ‖ 0x00 ‖ JCS(object)`` so that a signature made
for one kind of object can never be passed off as one for another.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from voting.protocol.encoding import b64url_decode, b64url_encode, canonical

CONTEXT_MANIFEST = "yishi-ballot/1:manifest"
CONTEXT_TREE_HEAD = "yishi-ballot/1:tree-head"
CONTEXT_CLOSING = "yishi-ballot/1:closing"
CONTEXT_COSIGN = "yishi-ballot/1:cosign"  # (rev 5) a scrutineer's signature over the closing

KEY_LENGTH = 32
SIGNATURE_LENGTH = 64


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh poll key pair as raw bytes: ``(private 32, public 32)``."""
    private_raw = _private_raw(Ed25519PrivateKey.generate())
    return private_raw, public_key_of(private_raw)


def _private_raw(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def public_key_of(private_raw: bytes) -> bytes:
    """The raw 32-byte public key of a raw private key."""
    public = Ed25519PrivateKey.from_private_bytes(private_raw).public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signed_bytes(context: str, canonical_bytes: bytes) -> bytes:
    """The exact bytes that are signed: ``context ‖ 0x00 ‖ JCS(object)``."""
    return context.encode("ascii") + b"\x00" + canonical_bytes


def sign_raw(private_raw: bytes, message: bytes) -> bytes:
    """Plain Ed25519 signature of ``message`` (no context)."""
    return Ed25519PrivateKey.from_private_bytes(private_raw).sign(message)


def verify_raw(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    """Plain Ed25519 verification; False on any bad input, never raises."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except Exception:  # noqa: BLE001 - any malformed key or signature is just "invalid"
        return False
    return True


def sign(private_raw: bytes, context: str, obj: Any) -> str:
    """Sign ``obj`` under ``context``; the signature as base64url."""
    return sign_canonical(private_raw, context, canonical(obj))


def sign_canonical(private_raw: bytes, context: str, canonical_bytes: bytes) -> str:
    """Like ``sign`` for an object already in JCS form."""
    return b64url_encode(sign_raw(private_raw, signed_bytes(context, canonical_bytes)))


def verify(public_raw: bytes, context: str, obj: Any, sig_b64: str) -> bool:
    """True when ``sig_b64`` is the poll key's signature of ``obj`` under
    ``context``; False on any bad input, never raises."""
    try:
        data = canonical(obj)
    except ValueError:
        return False
    return verify_canonical(public_raw, context, data, sig_b64)


def verify_canonical(public_raw: bytes, context: str, canonical_bytes: bytes, sig_b64: str) -> bool:
    """Like ``verify`` for an object already in JCS form."""
    try:
        signature = b64url_decode(sig_b64)
        message = signed_bytes(context, canonical_bytes)
        if len(signature) != SIGNATURE_LENGTH or len(public_raw) != KEY_LENGTH:
            return False
    except (ValueError, TypeError, AttributeError):
        return False
    return verify_raw(public_raw, message, signature)


_FIELD_PRIME = 2**255 - 19
# The 32-byte encodings that decode to a point of small order (the 8-torsion),
# canonical and not: shared/test-vectors/known-answers.json, ``ed25519_small_order``.
SMALL_ORDER_ENCODINGS = frozenset(
    bytes.fromhex(value)
    for value in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)


def key_problem(public_raw: bytes) -> str | None:
    """Why a 32-byte Ed25519 public key may not be a protocol key (rev 5), or None:
    its y value (the low 255 bits, little-endian) must be below 2^255 - 19, and it
    must not encode a point of small order."""
    if int.from_bytes(public_raw, "little") & ((1 << 255) - 1) >= _FIELD_PRIME:
        return "is not canonical (its y value is not below 2^255 - 19)"
    if public_raw in SMALL_ORDER_ENCODINGS:
        return "encodes a point of small order"
    return None


def fingerprint(public_raw: bytes) -> str:
    """The poll's fingerprint: first 16 hex characters of SHA-256 of the key."""
    return hashlib.sha256(public_raw).hexdigest()[:16]
