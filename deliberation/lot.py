"""The lot draw (抽签): a tiny, pure, published algorithm anyone can re-run.

Algorithm ``yishi-lot/1``:

1. Each applicant is known publicly by their sign-up number (报名序号) ``n``.
2. Compute ``HMAC-SHA256(key = seed as UTF-8, message = str(n) as UTF-8)`` as hex.
3. Sort the applicants by that hex string ascending (ties are impossible in practice;
   the number breaks them).
4. The first ``capacity`` are drawn (入选); the rest form the waiting list in order.

The seed is generated when the meeting is announced and only its SHA-256 is shown
until the draw, so staff cannot pick a seed after seeing who applied.
No Flask import here: the verifier and the tests call it directly.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHM = "yishi-lot/1"


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
    """The SHA-256 of the seed, published before the draw."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()
