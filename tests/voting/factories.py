"""Test helpers for polls: create and open polls, check deputies in, vote over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from core import sessions as core_sessions
from core.models import Deputy, Session
from extensions import db
from tests.factories import csrf_from, login
from voting import services, specs
from voting.protocol.client import SecretVoter, code_ballot, named_ballot


def approval_poll(
    session: Session | None,
    *,
    public_id="2027-test-minsheng",
    options=15,
    seats=10,
    max_yes=None,
    secrecy="secret",
    base="electorate",
    more_than="1/2",
    open_=True,
):
    """A livelihood-project style approval poll (max_yes = seats by default)."""
    poll = services.create_poll(
        public_id=public_id,
        title="2027年民生实事项目票决",
        ballot="approval",
        secrecy=secrecy,
        session=session,
        options=[f"候选项目{i}" for i in range(1, options + 1)],
        poll_rules=specs.build_rules(
            "approval", seats=seats, max_yes=seats if max_yes is None else max_yes, base=base, more_than=more_than
        ),
    ).poll
    if open_:
        services.open_poll(poll)
    db.session.commit()
    return poll


def check_in_all(session: Session, deputies: list[Deputy]) -> None:
    for deputy in deputies:
        core_sessions.check_in(session, deputy, method="staff", by=None)
    db.session.commit()


def deputy_client(app, code: str):
    client = app.test_client()
    response = login(client, code)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _pid(poll) -> str:
    return poll if isinstance(poll, str) else poll.public_id


def take_token(app, poll, code: str) -> SecretVoter:
    """Log in as the deputy, open the ballot page, get a blind-signed token over HTTP.
    ``poll`` is a Poll or its public id (threads pass the id)."""
    poll = _Ref(_pid(poll))
    client = deputy_client(app, code)
    page = client.get(f"/polls/{poll.public_id}/vote")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    token = csrf_from(page.get_data(as_text=True))
    manifest = client.get(f"/api/polls/{poll.public_id}/manifest").get_json()["manifest"]
    voter = SecretVoter(manifest)
    response = client.post(
        f"/api/polls/{poll.public_id}/tokens", json=voter.token_request(), headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200, response.get_json()
    voter.token_response(response.get_json())
    voter.client = client
    voter.csrf = token
    return voter


def cast(app, poll, body: dict):
    """Cast with a client that has no cookie at all."""
    return app.test_client().post(f"/api/polls/{_pid(poll)}/ballots", json=body)


class _Ref:
    def __init__(self, public_id: str):
        self.public_id = public_id


def close(poll):
    services.close_poll(poll)
    return poll


def board(app, poll) -> dict:
    response = app.test_client().get(f"/api/polls/{poll.public_id}/board")
    assert response.status_code == 200
    return json.loads(response.get_data())


def run_verifier(board_obj: dict, tmp_path: Path, receipts=(), ballots=(), fingerprint=None):
    """Run ``python -m voting.verify`` in-process; returns (exit status, output)."""
    import contextlib
    import io

    from voting.protocol import verify

    board_file = tmp_path / "board.json"
    board_file.write_text(json.dumps(board_obj, ensure_ascii=False))
    argv = [str(board_file)]
    for i, receipt in enumerate(receipts):
        path = tmp_path / f"receipt-{i}.json"
        path.write_text(json.dumps(receipt))
        argv += ["--receipt", str(path)]
    for i, ballot in enumerate(ballots):
        path = tmp_path / f"ballot-{i}.json"
        path.write_text(json.dumps(ballot, ensure_ascii=False))
        argv += ["--ballot", str(path)]
    if fingerprint:
        argv += ["--fingerprint", fingerprint]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = verify.main(argv)
    return status, out.getvalue()


__all__ = [
    "approval_poll",
    "check_in_all",
    "deputy_client",
    "take_token",
    "cast",
    "close",
    "board",
    "run_verifier",
    "named_ballot",
    "code_ballot",
]
