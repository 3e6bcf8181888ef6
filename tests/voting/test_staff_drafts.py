"""Staff polls without machine words (issue 14): ids made, never typed; settings refused
beside the field in the user's language; drafts edited and deleted until they open; a
confirmation box before every step that cannot be undone; a run-off of a tied seat."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import thresholds
from extensions import db
from projects import services as project_services
from projects.models import ProjectPoll
from tests.factories import csrf_token, make_congress
from tests.projects.factories import YEAR, add_candidates, make_units
from tests.voting.factories import approval_poll, check_in_all, close
from voting import services
from voting.models import Poll
from voting.services import PollError

RAW = ("threshold", "more_than", "manifest", "electorate", "approval", "secret", "{")


def _visible(html: str) -> str:
    """The page's text without its tags and scripts: what a reader sees."""
    return re.sub(r"<[^>]*>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))


def _form(session, **changes) -> dict:
    form = {
        "title": "界面创建的票决",
        "ballot": "approval",
        "secrecy": "secret",
        "session_id": str(session.id),
        "options": "项目甲\n项目乙\n项目丙",
        "seats": "2",
        "max_yes": "2",
        "base": "electorate",
        "more_than": "1/2",
        "rectify_below": "",
    }
    return form | changes


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        (
            {"seats": "4"},
            "应选数须在 1 到候选项目数（3）之间。",
            "Seats can be from 1 up to the number of candidates (3).",
        ),
        (
            {"max_yes": "4"},
            "最多同意数不能超过候选项目数（3）。",
            "Maximum yes votes cannot exceed the number of candidates (3).",
        ),
        ({"session_id": "0"}, "请选择会议", "Please choose a session"),
        ({"options": "甲\n甲"}, "候选项目“甲”写了两次", 'The candidate "甲" is listed twice'),
        ({"title": ""}, "请填写标题。", "Please fill in the title."),
        ({"seats": "x"}, "应选数", "Seats"),
        (
            {"ballot": "satisfaction", "rectify_below": "120"},
            "整改线须是 1 到 100",
            "Rectification threshold: a whole number from 1 to 100",
        ),
    ],
)
def test_bad_settings_are_named_beside_their_field_in_both_languages(staff_client, changes, zh, en):
    _, session = make_congress(3)
    token = csrf_token(staff_client, "/staff/polls/new")
    for lang, expected in (("zh", zh), ("en", en)):
        staff_client.set_cookie("yishi_lang", lang)
        response = staff_client.post("/staff/polls/new", data=_form(session, csrf_token=token, **changes))
        text = response.get_data(as_text=True)
        assert response.status_code == 422
        assert expected in text.replace("&#34;", '"'), text[-3000:]
        assert "manifest." not in text and "not the number" not in text
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


def test_poll_ids_are_made_from_year_session_and_kind_with_a_suffix_on_clash(app):
    _, session = make_congress(2)
    year = session.starts_on.year
    made = [
        services.create_poll(
            title="t", ballot="approval", secrecy="secret", session=session, options=["a", "b"], poll_rules=rules
        ).poll.public_id
        for rules in ({"threshold": {"base": "electorate", "more_than": "1/2"}},) * 3
    ]
    code = services.create_poll(
        title="t", ballot="satisfaction", secrecy="code", options=["a"], poll_rules={"grade_base": "cast"}
    ).poll.public_id
    base = f"{year}-session{session.id}-vote"
    assert made == [base, f"{base}-2", f"{base}-3"]
    assert code.endswith("-public-assessment") and code[:4].isdigit()
    # The command line's spec may still name its id; a taken one is refused.
    with pytest.raises(PollError) as refused:
        services.create_poll(
            public_id=base,
            title="t",
            ballot="approval",
            secrecy="secret",
            session=session,
            options=["a"],
            poll_rules={"threshold": {"base": "electorate", "more_than": "1/2"}},
        )
    assert refused.value.code == "poll_id_taken"


def test_a_draft_is_edited_then_deleted_only_with_the_box_ticked(staff_client):
    _, session = make_congress(3)
    token = csrf_token(staff_client, "/staff/polls/new")
    assert staff_client.post("/staff/polls/new", data=_form(session, csrf_token=token)).status_code == 302
    poll = db.session.scalar(select(Poll))
    page = staff_client.get(f"/staff/polls/{poll.id}").get_data(as_text=True)
    assert "无记名投票" in page and "应选 2 项" in page and "过半数" in page
    assert not [raw for raw in RAW if raw in _visible(page)]
    staff_client.set_cookie("yishi_lang", "en")
    english = _visible(staff_client.get(f"/staff/polls/{poll.id}").get_data(as_text=True))
    assert "Secret ballot" in english and "More than half" in english
    assert not [c for c in english if c in "，。："], "full-width punctuation on an English page"
    staff_client.set_cookie("yishi_lang", "zh")
    edit = staff_client.get(f"/staff/polls/{poll.id}/edit").get_data(as_text=True)
    assert "项目丙" in edit
    changed = _form(session, csrf_token=token, title="改过的标题", options="项目甲\n项目丁", seats="1", max_yes="1")
    assert staff_client.post(f"/staff/polls/{poll.id}/edit", data=changed).status_code == 302
    db.session.refresh(poll)
    assert poll.title == "改过的标题" and [o["title"] for o in poll.options] == ["项目甲", "项目丁"]
    assert poll.rules["seats"] == 1
    # A bad edit keeps the stored draft as it was.
    bad = dict(changed, seats="3")
    assert staff_client.post(f"/staff/polls/{poll.id}/edit", data=bad).status_code == 422
    db.session.refresh(poll)
    assert poll.rules["seats"] == 1
    # Deleting without the confirmation box is refused, and says why.
    response = staff_client.post(f"/staff/polls/{poll.id}/delete", data={"csrf_token": token})
    assert response.status_code == 422 and "请先勾选“我已核对，确认执行”" in response.get_data(as_text=True)
    assert db.session.get(Poll, poll.id) is not None
    staff_client.set_cookie("yishi_lang", "en")
    response = staff_client.post(f"/staff/polls/{poll.id}/delete", data={"csrf_token": token})
    assert response.status_code == 422 and "I have checked: carry it out" in response.get_data(as_text=True)
    poll_id = poll.id
    confirmed = {"csrf_token": token, "confirm": "y"}
    assert staff_client.post(f"/staff/polls/{poll_id}/delete", data=confirmed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Poll, poll_id) is None


def test_an_open_poll_can_be_neither_edited_nor_deleted_and_closing_needs_the_box(staff_client):
    congress, session = make_congress(3)
    poll = approval_poll(session, options=3, seats=1)
    token = csrf_token(staff_client, "/staff/polls")
    assert staff_client.get(f"/staff/polls/{poll.id}/edit").status_code == 409
    response = staff_client.post(f"/staff/polls/{poll.id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 409 and "不能再修改或删除" in response.get_data(as_text=True)
    response = staff_client.post(f"/staff/polls/{poll.id}/close", data={"csrf_token": token})
    assert response.status_code == 422
    db.session.refresh(poll)
    assert poll.is_open


def test_a_project_votes_draft_is_edited_and_deleted_from_the_poll_page(staff_client):
    _, session = make_congress(4)
    units = make_units()
    add_candidates(units, ["甲项目", "乙项目", "丙项目"])
    poll = project_services.create_vote(YEAR, session, seats=2)
    db.session.commit()
    assert poll.public_id == f"{YEAR}-minsheng-vote"
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    edit = staff_client.get(f"/staff/polls/{poll.id}/edit").get_data(as_text=True)
    assert "不能修改" in edit and 'name="seats"' in edit
    form = _form(session, csrf_token=token, title="票决（改）", seats="1", max_yes="1", options="另外的项目")
    assert staff_client.post(f"/staff/polls/{poll.id}/edit", data=form).status_code == 302
    db.session.refresh(poll)
    assert poll.title == "票决（改）" and poll.rules["seats"] == 1
    assert [o["title"] for o in poll.options] == ["甲项目", "乙项目", "丙项目"]  # the candidates stay
    assert (
        staff_client.post(f"/staff/polls/{poll.id}/delete", data={"csrf_token": token, "confirm": "y"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ProjectPoll)) == 0
    assert project_services.vote_outcome(YEAR).vote is None  # the year may make its vote again
    again = project_services.create_vote(YEAR, session, seats=2)
    assert again.public_id == f"{YEAR}-minsheng-vote"


def test_a_draft_another_package_holds_is_not_deleted_here(app):
    from assessments import services as assessment_services

    _, session = make_congress(2)
    poll = approval_poll(session, options=2, seats=1, open_=False)
    assessment = assessment_services.create_assessment(
        title="测评", year=2027, raters="public", session=None, grade_base="cast", rectify_below=None
    )
    assessment.poll_id = poll.id
    db.session.commit()
    with pytest.raises(PollError) as refused:
        services.delete_draft(poll)
    assert refused.value.code == "poll_in_use" and refused.value.status == 409


def test_a_tied_last_seat_gets_a_run_off_draft_once(staff_client, app):
    from tests.projects.factories import vote_in_bulk

    congress, session = make_congress(4)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, public_id="2027-tie", options=3, seats=1, max_yes=2)
    both = {"p01": "yes", "p02": "yes", "p03": "no"}
    vote_in_bulk(poll, congress.deputies[:3], lambda i: both)
    close(poll)
    db.session.commit()
    assert poll.result["tied"] == ["p01", "p02"]
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    assert staff_client.post(f"/staff/polls/{poll.id}/runoff", data={"csrf_token": token}).status_code == 302
    runoff = db.session.scalar(select(Poll).where(Poll.purpose == "runoff"))
    assert runoff.public_id == "2027-tie-runoff" and runoff.is_draft
    assert [o["id"] for o in runoff.options] == ["p01", "p02"] and runoff.rules["seats"] == 1
    assert runoff.session_id == session.id and runoff.secrecy == "secret"
    response = staff_client.post(f"/staff/polls/{poll.id}/runoff", data={"csrf_token": token})
    assert response.status_code == 409 and "已经创建" in response.get_data(as_text=True)
    page = staff_client.get(f"/staff/polls/{poll.id}").get_data(as_text=True)
    assert runoff.title in page
    # An open poll has no run-off yet.
    other = approval_poll(session, public_id="2027-open", options=2, seats=1)
    assert staff_client.post(f"/staff/polls/{other.id}/runoff", data={"csrf_token": token}).status_code == 409


def test_thresholds_have_one_notation():
    assert thresholds.threshold_percent("4/5") == "80%"
    assert thresholds.threshold_percent("2/3") == "66.7%"
    assert thresholds.threshold_percent(75) == "75%"
    assert thresholds.threshold_percent(None) == "—"
    assert thresholds.percent_fraction(80) == "4/5" and thresholds.percent_fraction(None) is None
    assert thresholds.fraction_percent("4/5") == 80 and thresholds.fraction_percent(None) is None


def test_the_project_vote_form_names_its_fields_and_applying_needs_the_box(staff_client):
    _, session = make_congress(4)
    add_candidates(make_units(), ["甲项目", "乙项目"])
    token = csrf_token(staff_client, f"/staff/projects/{YEAR}/vote")
    form = {"session_id": str(session.id), "seats": "3", "max_yes": "", "base": "electorate", "more_than": "1/2"}
    response = staff_client.post(f"/staff/projects/{YEAR}/vote", data=form | {"csrf_token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "应选数须在 1 到候选项目数（2）之间。" in text
    assert '<form method="post"' in text  # shown on the form, the typed values kept
    response = staff_client.post(f"/staff/projects/{YEAR}/vote/apply", data={"csrf_token": token})
    assert response.status_code == 422 and "请先勾选“我已核对，确认执行”" in response.get_data(as_text=True)


def test_an_id_taken_by_a_concurrent_request_is_a_409_not_a_500(app, monkeypatch):
    from voting.services import drafts

    _, session = make_congress(2)
    rules = {"threshold": {"base": "electorate", "more_than": "1/2"}}
    first = services.create_poll(
        title="t", ballot="approval", secrecy="secret", session=session, options=["a"], poll_rules=rules
    ).poll
    db.session.commit()
    # As if the look-up ran before the other request's insert.
    monkeypatch.setattr(drafts, "unique_public_id", lambda base: first.public_id)
    with pytest.raises(PollError) as refused:
        services.create_poll(
            title="t", ballot="approval", secrecy="secret", session=session, options=["a"], poll_rules=rules
        )
    assert (refused.value.status, refused.value.code) == (409, "poll_id_taken")
    db.session.rollback()
