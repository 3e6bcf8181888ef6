"""Digests of the codes handed to people (sign-up codes, tracking codes).

A code is stored only as ``HMAC-SHA256(K, SHA-256(label ":" code))`` in hex, where K
is derived from the key-encryption key (``YISHI_KEY_ENCRYPTION_KEY``, from the
environment or ``instance/``) and never stored in the database. Whoever holds the
database or a backup, but not that key, cannot test guesses offline; a guess must go
through the site, where it is rate-limited. The inner SHA-256 is what revision 0008
and earlier stored, so the migration that introduced the key could re-key every
stored digest without knowing the codes.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


@lru_cache(maxsize=8)
def _key(master_secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yishi code digests v1").derive(
        master_secret.encode()
    )


def rekey(inner_hex: str, master_secret: str | None = None) -> str:
    """HMAC of an inner SHA-256 digest (hex) under the server's code key."""
    secret = master_secret if master_secret is not None else current_app.config["YISHI_KEY_ENCRYPTION_KEY"]
    return hmac.new(_key(secret), inner_hex.encode("ascii"), hashlib.sha256).hexdigest()


def digest(label: str, code: str) -> str:
    """The stored digest of a normalised ``code`` for ``label`` (e.g. ``signup``)."""
    return rekey(hashlib.sha256(f"yishi-{label}:{code}".encode()).hexdigest())
