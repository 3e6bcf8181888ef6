"""RFC 9474 RSABSSA-SHA384-PSS-Randomized: blind RSA signatures for ballot tokens.

The server only ever calls ``BlindSigner.blind_sign``; ``prepare``, ``blind`` and
``finalize`` are the client's side (the browser has its own copy in JavaScript;
these serve tests, command-line tools and load generation). ``verify`` is the
ordinary RSASSA-PSS check that the server and the verifier run on a cast ballot.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from voting.protocol.encoding import b64url_to_int, int_to_b64url

HASH_LENGTH = 48  # SHA-384
SALT_LENGTH = 48
PREFIX_LENGTH = 32  # the Randomized variant's message prefix
TOKEN_LENGTH = 64  # Yishi's token: 32-byte prefix + 32 random bytes
PUBLIC_EXPONENT = 65537
MIN_BITS = 2048
MAX_BITS = 4096

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_LENGTH)


class BlindSignatureError(RuntimeError):
    """The computed blind signature failed its own check (a fault): never send it."""


def modulus_length(n: int) -> int:
    """Bytes of the modulus, ⌈bits(n)/8⌉: the length of every signature."""
    return (n.bit_length() + 7) // 8


def generate_token_key(bits: int = MIN_BITS) -> rsa.RSAPrivateKey:
    """A fresh token key pair with e = 65537 and 2048 ≤ bits ≤ 4096."""
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"token keys have {MIN_BITS} to {MAX_BITS} bits")
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)


# --- server side -----------------------------------------------------------


class BlindSigner:
    """The poll's blind signer, with its CRT values precomputed as gmpy2 numbers.

    Build it once per key and reuse it: each ``blind_sign`` then costs two
    constant-time half-size exponentiations and one public check.
    """

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        numbers = key.private_numbers()
        public = numbers.public_numbers
        self.n: int = public.n
        self.e: int = public.e
        self.modulus_len: int = modulus_length(self.n)
        self._key = key
        # Imported here: only the server signs, and the verifier must run with
        # nothing but `cryptography` and `rfc8785` installed.
        import gmpy2  # type: ignore[import-untyped]

        self._gmpy2 = gmpy2
        self._n = gmpy2.mpz(public.n)
        self._e = gmpy2.mpz(public.e)
        self._p = gmpy2.mpz(numbers.p)
        self._q = gmpy2.mpz(numbers.q)
        self._dp = gmpy2.mpz(numbers.dmp1)
        self._dq = gmpy2.mpz(numbers.dmq1)
        self._qinv = gmpy2.mpz(numbers.iqmp)

    @classmethod
    def from_factors(cls, p: int, q: int, e: int = PUBLIC_EXPONENT) -> BlindSigner:
        """Build the signer from the primes and the public exponent."""
        if p == q:
            raise ValueError("p and q must differ")
        d = pow(e, -1, math.lcm(p - 1, q - 1))
        numbers = rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(e, p * q),
        )
        return cls(numbers.private_key())

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> BlindSigner:
        """Build the signer from a PEM private key."""
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("not an RSA private key")
        return cls(key)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The underlying ``cryptography`` key (for storage)."""
        return self._key

    def public_numbers_json(self) -> dict[str, str]:
        """The manifest's ``token_key`` member."""
        return public_numbers_json(self.n, self.e)

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        """RFC 9474 BlindSign: the raw RSA signature of ``blinded_msg``.

        Raises ``ValueError`` if the input is not exactly ``modulus_len`` bytes or
        not below n, and ``BlindSignatureError`` if the result does not verify.
        """
        if len(blinded_msg) != self.modulus_len:
            raise ValueError("blinded message has the wrong length")
        gmpy2 = self._gmpy2
        m = gmpy2.mpz(int.from_bytes(blinded_msg, "big"))
        if m >= self._n:
            raise ValueError("blinded message is not below the modulus")
        # CRT with constant-time exponentiation: the exponents are the secret.
        s_p = gmpy2.powmod_sec(m % self._p, self._dp, self._p)
        s_q = gmpy2.powmod_sec(m % self._q, self._dq, self._q)
        h = (self._qinv * (s_p - s_q)) % self._p
        s = s_q + h * self._q
        # A fault in one CRT half would leak a factor of n (Bellcore attack).
        if gmpy2.powmod(s, self._e, self._n) != m:
            raise BlindSignatureError("blind signature failed its check")
        return int(s).to_bytes(self.modulus_len, "big")


# --- client side -----------------------------------------------------------


def prepare(msg: bytes, prefix: bytes | None = None) -> bytes:
    """RFC 9474 Prepare (Randomized): a 32-byte random prefix, then ``msg``."""
    if prefix is None:
        prefix = secrets.token_bytes(PREFIX_LENGTH)
    if len(prefix) != PREFIX_LENGTH:
        raise ValueError("the message prefix is 32 bytes")
    return prefix + msg


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + HASH_LENGTH - 1) // HASH_LENGTH):
        blocks.append(hashlib.sha384(seed + counter.to_bytes(4, "big")).digest())
    return b"".join(blocks)[:length]


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """RFC 8017 §9.1.1 EMSA-PSS-ENCODE with SHA-384 and MGF1-SHA-384."""
    em_len = (em_bits + 7) // 8
    if em_len < HASH_LENGTH + len(salt) + 2:
        raise ValueError("encoding error: modulus too small")
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - HASH_LENGTH - 2) + b"\x01" + salt
    mask = _mgf1_sha384(h, em_len - HASH_LENGTH - 1)
    masked = int.from_bytes(db, "big") ^ int.from_bytes(mask, "big")
    # Clear the leftmost 8*emLen - emBits bits so the value stays below n.
    masked &= (1 << (8 * len(db) - (8 * em_len - em_bits))) - 1
    return masked.to_bytes(len(db), "big") + h + b"\xbc"


def blind(
    n: int,
    e: int,
    prepared_msg: bytes,
    *,
    salt: bytes | None = None,
    r: int | None = None,
) -> tuple[bytes, bytes]:
    """RFC 9474 Blind: ``(blinded_msg, inv)``, both ``modulus_len`` bytes.

    ``salt`` (48 bytes) and ``r`` are drawn at random unless given (tests).
    """
    if salt is None:
        salt = secrets.token_bytes(SALT_LENGTH)
    if len(salt) != SALT_LENGTH:
        raise ValueError("the salt is 48 bytes")
    k_len = modulus_length(n)
    encoded = emsa_pss_encode(prepared_msg, n.bit_length() - 1, salt)
    m = int.from_bytes(encoded, "big")
    if math.gcd(m, n) != 1:
        raise ValueError("invalid input: message not coprime with n")
    if r is None:
        r = 1 + secrets.randbelow(n - 1)
    try:
        inv = pow(r, -1, n)
    except ValueError as exc:
        raise ValueError("blinding error: r not invertible") from exc
    z = (m * pow(r, e, n)) % n
    return z.to_bytes(k_len, "big"), inv.to_bytes(k_len, "big")


def finalize(n: int, e: int, prepared_msg: bytes, blind_sig: bytes, inv: bytes) -> bytes:
    """RFC 9474 Finalize: unblind and check; raise ``ValueError`` if invalid."""
    k_len = modulus_length(n)
    if len(blind_sig) != k_len or len(inv) != k_len:
        raise ValueError("unexpected input size")
    s = (int.from_bytes(blind_sig, "big") * int.from_bytes(inv, "big")) % n
    sig = s.to_bytes(k_len, "big")
    if not verify(n, e, prepared_msg, sig):
        raise ValueError("invalid signature")
    return sig


@lru_cache(maxsize=32)
def _public_key(n: int, e: int) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(e, n).public_key()


class TokenVerifier:
    """Checks token signatures under one token key (the key is loaded once)."""

    def __init__(self, n: int, e: int) -> None:
        self.n = n
        self.modulus_len = modulus_length(n)
        self._key = _public_key(n, e)
        self._hash = hashes.SHA384()  # made once: the verifier calls this per ballot

    def verify(self, prepared_msg: bytes, sig: bytes) -> bool:
        """True when ``sig`` is a valid RSASSA-PSS (SHA-384, salt 48) signature."""
        # OpenSSL is lenient about short signatures; the protocol is not.
        if len(sig) != self.modulus_len:
            return False
        try:
            self._key.verify(sig, prepared_msg, _PSS, self._hash)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def bad_indices(self, items: Iterable[tuple[int, bytes, bytes]]) -> list[int]:
        """The indices of the ``(index, prepared_msg, sig)`` items whose signature
        ``verify`` refuses: the same checks in one tight loop."""
        key_verify, pss, digest, size = self._key.verify, _PSS, self._hash, self.modulus_len
        bad = []
        for index, prepared_msg, sig in items:
            if len(sig) != size:
                bad.append(index)
                continue
            try:
                key_verify(sig, prepared_msg, pss, digest)
            except (InvalidSignature, ValueError, TypeError):
                bad.append(index)
        return bad


def verify(n: int, e: int, prepared_msg: bytes, sig: bytes) -> bool:
    """True when ``sig`` verifies over ``prepared_msg`` as ordinary RSASSA-PSS
    (SHA-384, MGF1-SHA-384, salt length 48) and has exactly ⌈bits(n)/8⌉ bytes."""
    try:
        verifier = TokenVerifier(n, e)
    except (ValueError, TypeError):
        return False
    return verifier.verify(prepared_msg, sig)


def public_numbers_json(n: int, e: int) -> dict[str, str]:
    """``{"n": b64url, "e": b64url}`` with minimal big-endian integers."""
    return {"n": int_to_b64url(n), "e": int_to_b64url(e)}


def parse_public_numbers(obj: Any) -> tuple[int, int]:
    """Read a ``token_key`` object back as ``(n, e)``.

    Raises ``ValueError`` unless it has exactly ``n`` and ``e``, minimal
    base64url integers, e = 65537 and an odd n of 2048 to 4096 bits.
    """
    if not isinstance(obj, dict) or set(obj) != {"n", "e"}:
        raise ValueError('token_key must have exactly the members "n" and "e"')
    n = b64url_to_int(obj["n"])
    e = b64url_to_int(obj["e"])
    if e != PUBLIC_EXPONENT:
        raise ValueError("token_key.e must be 65537")
    if not MIN_BITS <= n.bit_length() <= MAX_BITS or n % 2 == 0:
        raise ValueError("token_key.n must be an odd number of 2048 to 4096 bits")
    return n, e
