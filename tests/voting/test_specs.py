"""The spec format of ``flask poll create``: the first wrong member is named, nothing is
stored; in-process callers get the option ids back from ``services.create_poll``."""

from __future__ import annotations

import json

import pytest

from extensions import db
from tests.factories import make_congress
from voting import services, specs
from voting.models import Poll

GOOD = {
    "poll": "2027-spec-test",
    "title": "规格测试",
    "ballot": "approval",
    "secrecy": "code",
    "options": ["甲", "乙"],
    "rules": {"threshold": {"base": "cast", "more_than": "1/2"}},
}


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"title": None}, "title must be a JSON string"),
        ({"options": "甲,乙"}, "options must be a JSON array"),
        ({"options": [1, 2]}, "each option must be a title"),
        ({"options": ["甲", {"id": "p02", "title": "乙"}]}, "all titles or all"),
        ({"rules": []}, "rules must be a JSON object"),
        ({"session": "1"}, "session must be a session id"),
        ({"session": True}, "session must be a session id"),
        ({"purpose": 7}, "purpose must be a JSON string"),
        ({"poll": None}, "poll must be a JSON string"),
    ],
)
def test_a_wrong_member_is_named_and_nothing_is_stored(app, change, detail):
    spec = GOOD | change
    with pytest.raises(services.PollError) as refused:
        specs.create_from_spec(spec)
    assert refused.value.status == 422 and refused.value.code == "bad_poll"
    assert detail in refused.value.params["detail"]
    db.session.rollback()
    assert db.session.query(Poll).count() == 0


def test_a_missing_member_is_named(app):
    spec = {k: v for k, v in GOOD.items() if k != "ballot"}
    with pytest.raises(services.PollError) as refused:
        specs.create_from_spec(spec)
    assert refused.value.params["detail"] == "missing member: ballot"


def test_cli_refuses_a_bad_spec_with_its_reason(app, runner, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(GOOD | {"options": {"a": 1}}), encoding="utf-8")
    result = runner.invoke(args=["poll", "create", str(path)])
    assert result.exit_code != 0
    assert "bad_poll" in result.output and "options must be a JSON array" in result.output


def test_typed_call_returns_option_ids_in_order(app):
    _congress, session = make_congress(3)
    draft = services.create_poll(
        public_id="2027-typed",
        title="类型化调用",
        ballot="satisfaction",
        secrecy="secret",
        session=session,
        options=[("s07", "第七项"), ("s02", "第二项")],
        poll_rules=specs.build_rules("satisfaction", base="electorate"),
    )
    assert draft.option_ids == ["s07", "s02"]
    assert [o["id"] for o in draft.poll.options] == ["s07", "s02"]
    titles = services.create_poll(
        public_id="2027-typed-2",
        title="按标题",
        ballot="approval",
        secrecy="code",
        options=["一", "二", "三"],
        poll_rules=specs.build_rules("approval", base="cast"),
    )
    assert titles.option_ids == ["p01", "p02", "p03"]
