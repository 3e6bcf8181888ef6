"""What someone reading the database learns: poll private keys only sealed under the
key-encryption key, and gone once the poll closes; no cast time, token issuance only to
the minute (docs/security.md, "A database administrator")."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Date, DateTime, Time, inspect, select

from extensions import db
from tests.factories import make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, close, take_token
from voting import keystore
from voting.models import Ballot, Poll, TokenIssuance
from voting.protocol import blindrsa
from voting.protocol.encoding import b64url_decode


def test_poll_keys_are_sealed_under_the_kek_and_deleted_at_the_close(app):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    db.session.expire_all()
    row = db.session.get(Poll, poll.id)
    kek = app.config["YISHI_KEY_ENCRYPTION_KEY"]

    raw = keystore.unseal(kek, row.public_id, "signing", row.signing_key_enc)
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
    assert public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == b64url_decode(
        row.manifest["signing_key"]
    )
    der = keystore.unseal(kek, row.public_id, "token", row.token_key_enc)
    token_key = serialization.load_der_private_key(der, password=None)
    assert token_key.public_key().public_numbers().n == blindrsa.parse_public_numbers(row.manifest["token_key"])[0]
    # The stored bytes hold neither key in clear, and another key cannot open them.
    assert raw not in row.signing_key_enc and der not in row.token_key_enc
    for blob, purpose in ((row.signing_key_enc, "signing"), (row.token_key_enc, "token")):
        with pytest.raises(InvalidTag):
            keystore.unseal("another-" + kek, row.public_id, purpose, blob)

    close(poll)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Poll, poll.id)
    assert row.signing_key_enc is None and row.token_key_enc is None


def test_no_cast_time_and_token_issuance_only_to_the_minute(app):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    voter = take_token(app, poll, "D001")
    assert cast(app, poll, voter.ballot({"p01": "yes", "p02": "no"})).status_code == 201
    issued = db.session.scalars(select(TokenIssuance.issued_at)).all()
    assert len(issued) == 1 and issued[0].second == 0 and issued[0].microsecond == 0
    columns = inspect(db.engine).get_columns(Ballot.__tablename__)
    assert len(columns) >= 7
    timed = [c["name"] for c in columns if isinstance(c["type"], Date | DateTime | Time) or "time" in c["name"]]
    assert not timed and not any(c["name"].endswith("_at") for c in columns)
