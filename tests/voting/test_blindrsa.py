"""RFC 9474 RSABSSA-SHA384-PSS-Randomized: the Appendix A vector, step by step,
and round trips with a fresh 2048-bit key on 64-byte tokens."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from voting.protocol import blindrsa
from voting.protocol.encoding import b64url_encode

VECTORS = Path(__file__).parent / "vectors" / "known-answers.json"
RFC9474 = json.loads(VECTORS.read_text())["rfc9474_rsabssa_sha384_pss_randomized"]


def _bytes(name: str) -> bytes:
    return bytes.fromhex(RFC9474[name])


def _int(name: str) -> int:
    return int(RFC9474[name], 16)


N, E = _int("n"), _int("e")


@pytest.fixture(scope="module")
def vector_signer() -> blindrsa.BlindSigner:
    return blindrsa.BlindSigner.from_factors(_int("p"), _int("q"), E)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_token_key(2048)


@pytest.fixture(scope="module")
def signer(key: rsa.RSAPrivateKey) -> blindrsa.BlindSigner:
    return blindrsa.BlindSigner(key)


# --- the RFC 9474 vector ---------------------------------------------------


def test_vector_final_signature_verifies_with_cryptography() -> None:
    public = rsa.RSAPublicNumbers(E, N).public_key()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    public.verify(_bytes("sig"), _bytes("prepared_msg"), pss, hashes.SHA384())
    assert blindrsa.verify(N, E, _bytes("prepared_msg"), _bytes("sig"))


def test_vector_prepare() -> None:
    prepared = blindrsa.prepare(_bytes("msg"), _bytes("msg_prefix"))
    assert prepared == _bytes("prepared_msg")


def test_vector_encoded_msg() -> None:
    encoded = blindrsa.emsa_pss_encode(_bytes("prepared_msg"), N.bit_length() - 1, _bytes("salt"))
    assert encoded == _bytes("encoded_msg")


def test_vector_blind() -> None:
    r = pow(_int("inv"), -1, N)
    blinded, inv = blindrsa.blind(N, E, _bytes("prepared_msg"), salt=_bytes("salt"), r=r)
    assert blinded == _bytes("blinded_msg")
    assert inv == _bytes("inv")


def test_vector_blind_sign(vector_signer: blindrsa.BlindSigner) -> None:
    assert vector_signer.n == N
    assert vector_signer.blind_sign(_bytes("blinded_msg")) == _bytes("blind_sig")


def test_vector_finalize() -> None:
    sig = blindrsa.finalize(N, E, _bytes("prepared_msg"), _bytes("blind_sig"), _bytes("inv"))
    assert sig == _bytes("sig")


def test_vector_signer_from_key_and_pem(vector_signer: blindrsa.BlindSigner) -> None:
    pem = vector_signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    again = blindrsa.BlindSigner.from_pem(pem)
    assert again.blind_sign(_bytes("blinded_msg")) == _bytes("blind_sig")


# --- a fresh 2048-bit key and 64-byte tokens -------------------------------


def test_generate_token_key_bounds() -> None:
    with pytest.raises(ValueError, match="2048"):
        blindrsa.generate_token_key(1024)
    with pytest.raises(ValueError, match="4096"):
        blindrsa.generate_token_key(8192)


def test_round_trip_on_tokens(signer: blindrsa.BlindSigner) -> None:
    n, e = signer.n, signer.e
    assert signer.modulus_len == 256
    for _ in range(3):
        token = blindrsa.prepare(secrets.token_bytes(32))
        assert len(token) == blindrsa.TOKEN_LENGTH
        blinded, inv = blindrsa.blind(n, e, token)
        blind_sig = signer.blind_sign(blinded)
        sig = blindrsa.finalize(n, e, token, blind_sig, inv)
        assert len(sig) == 256
        assert blindrsa.verify(n, e, token, sig)
        # The signer saw only the blinded message, which is not the token's encoding.
        assert token not in blinded


def test_tampering_fails(signer: blindrsa.BlindSigner) -> None:
    n, e = signer.n, signer.e
    token = blindrsa.prepare(secrets.token_bytes(32))
    blinded, inv = blindrsa.blind(n, e, token)
    blind_sig = signer.blind_sign(blinded)
    sig = blindrsa.finalize(n, e, token, blind_sig, inv)
    bad_sig = bytes([sig[0] ^ 1]) + sig[1:]
    bad_token = token[:-1] + bytes([token[-1] ^ 1])
    assert not blindrsa.verify(n, e, token, bad_sig)
    assert not blindrsa.verify(n, e, bad_token, sig)
    with pytest.raises(ValueError, match="invalid signature"):
        blindrsa.finalize(n, e, bad_token, blind_sig, inv)
    bad_blind_sig = bytes([blind_sig[0] ^ 1]) + blind_sig[1:]
    with pytest.raises(ValueError, match="invalid signature"):
        blindrsa.finalize(n, e, token, bad_blind_sig, inv)


def test_verify_requires_exact_signature_length(signer: blindrsa.BlindSigner) -> None:
    n, e = signer.n, signer.e
    token = blindrsa.prepare(secrets.token_bytes(32))
    sig = blindrsa.finalize(n, e, token, *_blind_and_sign(signer, token))
    assert blindrsa.verify(n, e, token, sig)
    if sig[0] == 0:  # pragma: no cover - one time in 256
        assert not blindrsa.verify(n, e, token, sig[1:])
    assert not blindrsa.verify(n, e, token, b"\x00" + sig)
    assert not blindrsa.verify(n, e, token, sig[:-1])
    assert not blindrsa.verify(n, e, token, b"")
    verifier = blindrsa.TokenVerifier(n, e)
    assert verifier.verify(token, sig)
    assert not verifier.verify(token, b"\x00" + sig)


def test_verify_never_raises() -> None:
    assert not blindrsa.verify(4, 3, b"x", b"y")
    assert not blindrsa.verify(N, E, b"x", "not bytes")  # type: ignore[arg-type]


def _blind_and_sign(signer: blindrsa.BlindSigner, token: bytes) -> tuple[bytes, bytes]:
    blinded, inv = blindrsa.blind(signer.n, signer.e, token)
    return signer.blind_sign(blinded), inv


def test_blind_sign_refuses_wrong_length(signer: blindrsa.BlindSigner) -> None:
    with pytest.raises(ValueError, match="length"):
        signer.blind_sign(bytes(255))
    with pytest.raises(ValueError, match="length"):
        signer.blind_sign(bytes(257))


def test_blind_sign_refuses_m_not_below_n(signer: blindrsa.BlindSigner) -> None:
    with pytest.raises(ValueError, match="modulus"):
        signer.blind_sign(signer.n.to_bytes(256, "big"))
    with pytest.raises(ValueError, match="modulus"):
        signer.blind_sign(b"\xff" * 256)
    # n - 1 is fine.
    assert len(signer.blind_sign((signer.n - 1).to_bytes(256, "big"))) == 256


def test_blind_sign_checks_its_result(key: rsa.RSAPrivateKey) -> None:
    faulty = blindrsa.BlindSigner(key)
    faulty._dp += 2  # a fault in one CRT half
    blinded, _ = blindrsa.blind(faulty.n, faulty.e, blindrsa.prepare(b"x" * 32))
    with pytest.raises(blindrsa.BlindSignatureError):
        faulty.blind_sign(blinded)


def test_finalize_refuses_wrong_sizes(signer: blindrsa.BlindSigner) -> None:
    token = blindrsa.prepare(secrets.token_bytes(32))
    blind_sig, inv = _blind_and_sign(signer, token)
    with pytest.raises(ValueError, match="size"):
        blindrsa.finalize(signer.n, signer.e, token, blind_sig[1:], inv)


def test_prepare_and_blind_inputs() -> None:
    assert len(blindrsa.prepare(b"")) == 32
    with pytest.raises(ValueError, match="32"):
        blindrsa.prepare(b"x", b"short")
    with pytest.raises(ValueError, match="48"):
        blindrsa.blind(N, E, b"x", salt=b"short")


def test_public_numbers_json(signer: blindrsa.BlindSigner) -> None:
    obj = signer.public_numbers_json()
    assert obj["e"] == "AQAB"
    assert blindrsa.parse_public_numbers(obj) == (signer.n, signer.e)
    assert blindrsa.public_numbers_json(N, E) == {
        "n": b64url_encode(_bytes("n")),
        "e": "AQAB",
    }


@pytest.mark.parametrize(
    "obj",
    [
        {"n": b64url_encode(_bytes("n"))},
        {"n": b64url_encode(_bytes("n")), "e": "AQAB", "x": 1},
        {"n": b64url_encode(_bytes("n")), "e": "Aw"},  # e = 3
        {"n": b64url_encode(b"\x00" + _bytes("n")), "e": "AQAB"},  # not minimal
        {
            "n": b64url_encode((2**1024 + 1).to_bytes(129, "big")),
            "e": "AQAB",
        },  # too small
        {
            "n": b64url_encode((2**4096 + 1).to_bytes(513, "big")),
            "e": "AQAB",
        },  # too big
        {"n": b64url_encode((2**2048).to_bytes(257, "big")), "e": "AQAB"},  # even
        {"n": b64url_encode(_bytes("n")) + "=", "e": "AQAB"},
        ["n", "e"],
    ],
)
def test_parse_public_numbers_refuses(obj: object) -> None:
    with pytest.raises(ValueError):
        blindrsa.parse_public_numbers(obj)


def test_from_factors_refuses_equal_primes() -> None:
    with pytest.raises(ValueError, match="differ"):
        blindrsa.BlindSigner.from_factors(_int("p"), _int("p"))
