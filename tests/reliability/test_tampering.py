"""A ballot row changed, inserted, deleted or reordered in the database is caught:
the site refuses to publish the board and tells staff why."""

import pytest
from sqlalchemy import select, text, update

from extensions import db
from tests.factories import csrf_token, make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, take_token
from voting import services
from voting.models import Ballot, Poll


@pytest.fixture
def voted_poll(app):
    congress, session = make_congress(4)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    for code, choice in (("D001", "yes"), ("D002", "no"), ("D003", "yes")):
        voter = take_token(app, poll, code)
        assert cast(app, poll, voter.ballot({"p01": choice, "p02": "abstain"})).status_code == 201
    return poll


def _tamper(poll, how):
    rows = db.session.scalars(select(Ballot).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_index)).all()
    if how == "changed":
        rows[1].body = rows[1].body.replace('"no"', '"yes"')
    elif how == "changed_with_hash":
        from voting.protocol.merkle import leaf_hash

        rows[1].body = rows[1].body.replace('"no"', '"yes"')
        rows[1].leaf_hash = leaf_hash(rows[1].body.encode()).hex()
    elif how == "rewritten":
        # A database writer recomputes the whole log state too; only the key could sign it.
        from voting.protocol.merkle import leaf_hash, root

        rows[1].body = rows[1].body.replace('"no"', '"yes"')
        rows[1].leaf_hash = leaf_hash(rows[1].body.encode()).hex()
        poll_row = db.session.get(Poll, poll.id)
        poll_row.log_root = root([bytes.fromhex(r.leaf_hash) for r in rows]).hex()
    elif how == "deleted":
        db.session.delete(rows[2])
    elif how == "inserted":
        db.session.add(
            Ballot(
                poll_id=poll.id,
                leaf_index=3,
                leaf_hash="ab" * 32,
                credential="forged",
                body=rows[0].body.replace('"yes"', '"no"'),
                receipt="{}",
            )
        )
    elif how == "reordered":
        # Swap two rows' positions through a free index (the unique constraint holds throughout).
        db.session.execute(update(Ballot).where(Ballot.id == rows[0].id).values(leaf_index=99))
        db.session.execute(update(Ballot).where(Ballot.id == rows[1].id).values(leaf_index=0))
        db.session.execute(update(Ballot).where(Ballot.id == rows[0].id).values(leaf_index=1))
    db.session.commit()


@pytest.mark.parametrize("how", ["changed", "changed_with_hash", "rewritten", "deleted", "inserted", "reordered"])
def test_a_tampered_log_is_not_published(app, voted_poll, staff_client, how):
    _tamper(voted_poll, how)
    token = csrf_token(staff_client, f"/staff/polls/{voted_poll.id}")
    response = staff_client.post(f"/staff/polls/{voted_poll.id}/close", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 409
    assert "选票日志与已签名的日志状态不一致" in response.get_data(as_text=True)
    poll = db.session.get(Poll, voted_poll.id)
    assert poll.state == "open" and poll.closing is None
    assert app.test_client().get(f"/api/polls/{poll.public_id}/board").status_code == 404


def test_an_untouched_log_closes(app, voted_poll):
    services.close_poll(voted_poll)
    assert db.session.execute(text("SELECT state FROM poll")).scalar() == "closed"
