"""The lot draw (抽签): a tiny, pure, published algorithm anyone can re-run.

Ranking (both versions): each applicant is known publicly by their sign-up number
(报名序号) ``n``; compute ``HMAC-SHA256(key = seed as UTF-8, message = str(n) as UTF-8)``
as hex, sort ascending (the number breaks ties), the first ``capacity`` are drawn
(入选) and the rest form the waiting list in order.

Where the seed comes from:

``yishi-lot/2`` (every meeting announced since the revision): nobody can know the seed
before sign-up closes, not staff and not whoever reads the database or a backup.

1. At the notice the server makes a 256-bit ``secret``, keeps it sealed under the
   key-encryption key, and publishes ``SHA-256(secret)``; the notice also names a
   public randomness source fixed in advance whose value nobody knows until after
   sign-up closes (for example the official lottery draw of a named date).
2. At the draw staff enter that value as published (``beacon``); the server reveals
   the secret, and the seed is
   ``SHA-256("yishi-lot/2" LF secret LF beacon LF entrants_sha256)`` as hex, where
   ``entrants_sha256`` is the SHA-256 of the sorted entrant numbers joined by commas.

The secret stops a public source from being enough to predict (or steer) the draw
before it happens; the public value stops the server, which knows the secret, from
knowing the outcome before sign-up closes; the entrant list is bound in, so adding
or removing one entrant changes every ticket.

``yishi-lot/1`` (older meetings): the seed itself was generated at the notice and
only its SHA-256 shown until the draw.

No Flask import here: the verifier and the tests call it directly.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHM_V1 = "yishi-lot/1"
ALGORITHM = "yishi-lot/2"


def ticket_key(seed: str, number: int) -> str:
    """The ranking key of one sign-up number under ``seed``."""
    return hmac.new(seed.encode("utf-8"), str(number).encode("utf-8"), hashlib.sha256).hexdigest()


def draw_order(seed: str, numbers: list[int]) -> list[int]:
    """All sign-up numbers in drawn order."""
    return sorted(numbers, key=lambda n: (ticket_key(seed, n), n))


def draw(seed: str, numbers: list[int], capacity: int) -> tuple[list[int], list[int]]:
    """(drawn, waiting list in order) for ``capacity`` places."""
    order = draw_order(seed, numbers)
    return order[:capacity], order[capacity:]


def seed_commitment(seed: str) -> str:
    """The SHA-256 of a secret (or, in ``yishi-lot/1``, of the seed), published at the notice."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def normalise_beacon(text: str) -> str:
    """The public value as entered: surrounding space dropped, inner runs of white
    space made one space (so a copied line break changes nothing)."""
    return " ".join(text.split())


def entrants_digest(numbers: list[int]) -> str:
    """SHA-256 of the sorted entrant numbers in decimal, joined by commas."""
    return hashlib.sha256(",".join(str(n) for n in sorted(numbers)).encode("ascii")).hexdigest()


def derive_seed(secret: str, beacon: str, entrants_sha256: str) -> str:
    """The ``yishi-lot/2`` seed from the revealed secret, the public value and the entrants."""
    message = "\n".join([ALGORITHM, secret, normalise_beacon(beacon), entrants_sha256])
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


def check_record(record: dict) -> tuple[list[int], list[int]]:
    """Re-run a published draw record (``/meetings/<id>/draw.json``); raises
    ``ValueError`` naming the first input that does not hold. Returns (drawn, waiting)."""
    algorithm = record.get("algorithm")
    entrants = list(record["entrants"])
    if algorithm == ALGORITHM:
        if seed_commitment(record["secret"]) != record["secret_sha256"]:
            raise ValueError("the revealed secret does not match the SHA-256 published at the notice")
        if entrants_digest(entrants) != record["entrants_sha256"]:
            raise ValueError("the entrant list does not match its published SHA-256")
        seed = derive_seed(record["secret"], record["beacon_value"], record["entrants_sha256"])
        if seed != record["seed"]:
            raise ValueError("the seed is not derived from the secret, the public value and the entrants")
    elif algorithm == ALGORITHM_V1:
        seed = record["seed"]
        if seed_commitment(seed) != record["seed_sha256"]:
            raise ValueError("the seed does not match its published SHA-256")
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    drawn, waiting = draw(seed, entrants, record["capacity"])
    if drawn != record["drawn"] or drawn + waiting != record["order"]:
        raise ValueError("the published draw does not match a re-run")
    return drawn, waiting
