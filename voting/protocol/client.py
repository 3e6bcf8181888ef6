"""A Python voting client of ``yishi-ballot/1``, for tests, tools, the demo and load
generation. Pure: no Flask, no database; the caller moves the JSON."""

from __future__ import annotations

import os
from typing import Any

from voting.protocol import blindrsa, rules
from voting.protocol.encoding import b64url_decode, b64url_encode, code_hash, normalise_code


class SecretVoter:
    """One deputy's side of a secret poll: blind a token, unblind it, fill a ballot."""

    def __init__(self, manifest: dict[str, Any]):
        self.manifest = manifest
        self.manifest_hash = rules.manifest_hash(manifest)
        self.n, self.e = blindrsa.parse_public_numbers(manifest["token_key"])
        self.token = blindrsa.prepare(os.urandom(32))
        self._inv: bytes | None = None
        self.blinded_msg: str | None = None
        self.token_sig: bytes | None = None

    def token_request(self) -> dict[str, str]:
        """The body of ``POST …/tokens``."""
        blinded, self._inv = blindrsa.blind(self.n, self.e, self.token)
        self.blinded_msg = b64url_encode(blinded)  # kept: the request may be repeated
        return {"blinded_msg": self.blinded_msg}

    def token_response(self, body: dict[str, str]) -> None:
        """Unblind the server's answer; raises if the signature does not verify."""
        assert self._inv is not None, "token_request first"
        self.token_sig = blindrsa.finalize(self.n, self.e, self.token, b64url_decode(body["blind_sig"]), self._inv)

    def ballot(self, choices: dict[str, str]) -> dict[str, Any]:
        """The body of ``POST …/ballots``."""
        assert self.token_sig is not None, "no token yet"
        return {
            "ballot": {
                "poll": self.manifest["poll"],
                "manifest": self.manifest_hash,
                "token": b64url_encode(self.token),
                "token_sig": b64url_encode(self.token_sig),
                "choices": choices,
            }
        }


def named_ballot(manifest: dict[str, Any], voter: str, choices: dict[str, str]) -> dict[str, Any]:
    return {
        "ballot": {
            "poll": manifest["poll"],
            "manifest": rules.manifest_hash(manifest),
            "voter": voter,
            "choices": choices,
        }
    }


def code_ballot(manifest: dict[str, Any], code: str, choices: dict[str, str]) -> dict[str, Any]:
    return {
        "ballot": {
            "poll": manifest["poll"],
            "manifest": rules.manifest_hash(manifest),
            "code_hash": code_hash(normalise_code(code)),
            "choices": choices,
        },
        "code": code,
    }
