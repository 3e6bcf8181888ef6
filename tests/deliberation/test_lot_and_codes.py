"""Issue 15: a lot draw nobody can steer, and sign-up codes nobody can guess offline.

The attack that worked before (revision ``yishi-lot/1``): whoever could read the
database or a backup read the seed, which was stored in plain before the draw, and
sign-up numbers were handed out in order; so a friend who signed up could see whether
their number would be drawn, cancel and sign up again until it would, and was drawn.
Sign-up codes were 40 bits under plain SHA-256: the database alone gave them all up.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from core import codes
from core.times import local_today
from deliberation import lot, services
from deliberation.models import Meeting, Signup, SignupStatus
from deliberation.services.common import normalise_code
from extensions import db
from tests.deliberation.factories import make_meeting, move, phone, sign_up
from voting import keystore

HONEST = 19
CAPACITY = 5
TRIES = 25  # the attacker's budget of sign-up-and-cancel rounds
RUNS = 40


def _what_the_database_says(meeting_id: int) -> str:
    """The attacker's best guess at the seed from everything the database holds before
    the draw: the seed itself where it is stored (yishi-lot/1), else the only seed-like
    value there is (the published commitment)."""
    row = db.session.execute(select(Meeting.lot_seed, Meeting.lot_seed_sha256).where(Meeting.id == meeting_id)).one()
    return row.lot_seed or row.lot_seed_sha256


def _predicted_rank(seed: str, number: int, others: list[int]) -> int:
    order = lot.draw_order(seed, [*others, number])
    return order.index(number) + 1


def _one_run() -> int:
    """One meeting: 38 honest applicants, then the friend grinds; the friend's drawn rank."""
    meeting = make_meeting(mode="lot", capacity=CAPACITY, waitlist=0)
    honest = [signup.number for signup, _ in sign_up(meeting, HONEST)]
    friend_phone = phone()
    seed_guess = _what_the_database_says(meeting.id)
    for attempt in range(TRIES):
        entry, code = services.sign_up(meeting, name="朋友", phone=friend_phone, area="桂花苑")
        db.session.commit()
        if attempt == TRIES - 1 or _predicted_rank(seed_guess, entry.number, honest) <= CAPACITY:
            break  # a number that looks good, or the last try: the friend keeps it
        services.cancel_signup(meeting, code)  # a throw-away number: try again
        db.session.commit()
    assert db.session.get(Signup, entry.id).status == SignupStatus.APPLIED
    move(meeting, hours=-24 * 9 - 12)
    meeting.lot_beacon_date = local_today()
    db.session.commit()
    # The public value nobody knew during sign-up: a lottery result drawn afterwards.
    beacon = " ".join(f"{secrets.randbelow(33) + 1:02d}" for _ in range(6)) + f" + {secrets.randbelow(16) + 1:02d}"
    services.draw_lot(meeting, beacon)
    db.session.commit()
    record = services.draw_record(meeting)
    return record["order"].index(entry.number) + 1


@pytest.mark.slow
def test_the_grinding_attack_no_longer_changes_the_odds(app):
    """Replayed 40 times: the friend's drawn rank is uniform among 20 (mean 10.5), as
    anyone's; with the old scheme the attacker put them among the five drawn nearly
    every time. The mean of 40 uniform ranks is 10.5 with a standard deviation of 0.91:
    below 6.5 is more than four deviations away."""
    ranks = [_one_run() for _ in range(RUNS)]
    entrants = HONEST + 1
    assert all(1 <= r <= entrants for r in ranks)
    mean = sum(ranks) / len(ranks)
    drawn = sum(r <= CAPACITY for r in ranks)
    assert mean >= 6.5, f"the attack steers the draw: mean rank {mean}, drawn {drawn} of {RUNS}"
    assert drawn <= 22, (
        f"the attack steers the draw: drawn {drawn} of {RUNS} (fair: about {RUNS * CAPACITY // entrants})"
    )


def test_before_the_draw_the_database_cannot_predict_it(app):
    meeting = make_meeting(mode="lot", capacity=2, waitlist=0)
    entries = sign_up(meeting, 5)
    row = db.session.get(Meeting, meeting.id)
    # Nothing the draw is made from is stored in the clear before it.
    assert row.lot_seed is None and row.lot_secret is None and row.lot_beacon_value is None
    assert row.lot_secret_enc and len(row.lot_seed_sha256) == 64
    with pytest.raises(InvalidTag):  # a backup without the key-encryption key is not enough
        keystore.unseal("another-key", f"meeting-{meeting.id}", "lot", row.lot_secret_enc)
    # Sign-up numbers are random, not in the order of signing up.
    numbers = [signup.number for signup, _ in entries]
    assert len(set(numbers)) == 5 and all(100000 <= n <= 999999 for n in numbers)
    assert numbers != sorted(numbers) or numbers != list(range(numbers[0], numbers[0] + 5))
    # The same secret with another public value or another entrant list gives another
    # seed: neither the server alone nor the public value alone decides the draw.
    secret = keystore.unseal(app.config["YISHI_KEY_ENCRYPTION_KEY"], f"meeting-{meeting.id}", "lot", row.lot_secret_enc)
    assert lot.seed_commitment(secret.decode()) == row.lot_seed_sha256
    entrants = lot.entrants_digest(numbers)
    seeds = {
        lot.derive_seed(secret.decode(), "01 02 03 04 05 06 + 07", entrants),
        lot.derive_seed(secret.decode(), "01 02 03 04 05 06 + 08", entrants),
        lot.derive_seed(secret.decode(), "01 02 03 04 05 06 + 07", lot.entrants_digest(numbers[1:])),
        lot.derive_seed("0" * 64, "01 02 03 04 05 06 + 07", entrants),
    }
    assert len(seeds) == 4
    # White space as copied from a web page changes nothing.
    assert lot.derive_seed("s", " 01  02\n03 ", "e") == lot.derive_seed("s", "01 02 03", "e")


def test_sign_up_codes_are_80_bits_under_a_server_key(app, client):
    meeting = make_meeting(capacity=3)
    ((entry, code),) = sign_up(meeting, 1)
    normalised = normalise_code(code, 16)
    assert normalised is not None and len(code) == 19  # XXXX-XXXX-XXXX-XXXX: 16 of 32 letters, 80 bits
    # The stored digest is not the plain SHA-256 an offline search would test against.
    plain = hashlib.sha256(f"yishi-signup:{normalised}".encode()).hexdigest()
    stored = db.session.scalar(select(Signup.code_hash).where(Signup.id == entry.id))
    assert stored != plain
    assert stored == codes.rekey(plain, app.config["YISHI_KEY_ENCRYPTION_KEY"])
    assert stored != codes.rekey(plain, "a guessed key")
    # The code still works at the door and for cancelling, typed in any case and grouping.
    assert services.find_signup(meeting, normalised.lower()).id == entry.id
    _, _ = services.cancel_signup(meeting, code)
    db.session.commit()
    assert db.session.get(Signup, entry.id).status == SignupStatus.CANCELLED


def test_opinion_tracking_codes_are_80_bits_under_the_server_key(app):
    meeting = make_meeting()
    opinion, code = services.submit_opinion(
        meeting, agenda_item_id=None, category="other", author_name=None, body="建议增加座椅。"
    )
    db.session.commit()
    normalised = normalise_code(code, 16)
    assert normalised is not None and len(code) == 19
    plain = hashlib.sha256(f"yishi-opinion:{normalised}".encode()).hexdigest()
    assert opinion.tracking_hash == codes.rekey(plain, app.config["YISHI_KEY_ENCRYPTION_KEY"]) != plain
    assert services.find_opinion_by_code(code).id == opinion.id


def test_migration_0015_keeps_codes_already_handed_out(backend, tmp_path):
    """Down to 0008 with an old-style sign-up (8 characters under plain SHA-256) and a
    lot seed stored in plain; up again: the old code still finds the sign-up, its stored
    digest is now keyed, and the old meeting keeps yishi-lot/1 and draws as it did."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.conftest import Client, _pg_second_database, base_config, database_url

    url = _pg_second_database(backend) if backend["kind"] == "postgresql" else database_url(backend, tmp_path)
    other = create_app(base_config(tmp_path, url))
    other.test_client_class = Client
    with other.app_context():
        try:
            meeting = make_meeting(mode="lot", capacity=1, waitlist=0)
            ((entry, _),) = sign_up(meeting, 1)
            meeting_id, entry_id = meeting.id, entry.id
            db.session.remove()
            downgrade(revision="0008")
            old_code, old_seed = "K7QF-M2XA", secrets.token_hex(16)
            old_digest = hashlib.sha256(b"yishi-signup:K7QFM2XA").hexdigest()
            with db.engine.begin() as conn:
                conn.execute(
                    text("UPDATE meeting_signup SET code_hash = :h WHERE id = :id"), {"h": old_digest, "id": entry_id}
                )
                conn.execute(
                    text("UPDATE meeting SET lot_seed = :s, lot_seed_sha256 = :c WHERE id = :id"),
                    {"s": old_seed, "c": lot.seed_commitment(old_seed), "id": meeting_id},
                )
            upgrade(revision="heads")
            stored = db.session.scalar(select(Signup.code_hash).where(Signup.id == entry_id))
            assert stored == codes.rekey(old_digest, other.config["YISHI_KEY_ENCRYPTION_KEY"])
            meeting = db.session.get(Meeting, meeting_id)
            assert services.find_signup(meeting, old_code).id == entry_id
            assert meeting.lot_algorithm == lot.ALGORITHM_V1
            move(meeting, hours=-24 * 9 - 12)
            drawn, _ = services.draw_lot(meeting)  # yishi-lot/1 needs no public value
            db.session.commit()
            record = services.draw_record(db.session.get(Meeting, meeting_id))
            assert record["algorithm"] == lot.ALGORITHM_V1 and record["seed"] == old_seed
            assert lot.check_record(record)[0] == drawn
        finally:
            db.session.remove()
            upgrade(revision="heads")
            db.engine.dispose()
