"""Poll private keys at rest: AES-256-GCM under a key from the environment or
``instance/`` (``YISHI_KEY_ENCRYPTION_KEY``), bound to the poll and key purpose.

Decrypted keys are cached per process, so a cast or a token request does not pay
for decryption and key parsing every time.
"""

from __future__ import annotations

import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"


def _aead(master_secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yishi poll keys v1").derive(
        master_secret.encode()
    )
    return AESGCM(key)


def seal(master_secret: str, poll_id: str, purpose: str, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` for the poll; the poll id and purpose are authenticated."""
    nonce = os.urandom(12)
    aad = f"{poll_id}\x00{purpose}".encode()
    return _VERSION + nonce + _aead(master_secret).encrypt(nonce, plaintext, aad)


def unseal(master_secret: str, poll_id: str, purpose: str, blob: bytes) -> bytes:
    """Decrypt what ``seal`` made; raises ``cryptography.exceptions.InvalidTag`` if altered."""
    if blob[:1] != _VERSION:
        raise ValueError("unknown key envelope version")
    aad = f"{poll_id}\x00{purpose}".encode()
    return _aead(master_secret).decrypt(blob[1:13], blob[13:], aad)


def seal_rsa(master_secret: str, poll_id: str, private_key) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return seal(master_secret, poll_id, "token", der)


@lru_cache(maxsize=64)
def signing_key(master_secret: str, poll_id: str, blob: bytes) -> bytes:
    """The poll's raw 32-byte Ed25519 private key (cached)."""
    return unseal(master_secret, poll_id, "signing", blob)


@lru_cache(maxsize=64)
def blind_signer(master_secret: str, poll_id: str, blob: bytes):
    """The poll's RFC 9474 signer with its CRT values precomputed (cached)."""
    from voting.protocol.blindrsa import BlindSigner

    der = unseal(master_secret, poll_id, "token", blob)
    return BlindSigner(serialization.load_der_private_key(der, password=None))
