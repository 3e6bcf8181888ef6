"""Named and code polls through the API; staff pages and the command line."""

import json

from sqlalchemy import func, select

from extensions import db
from tests.factories import csrf_from, csrf_token, make_congress
from tests.voting.factories import approval_poll, board, cast, check_in_all, close, deputy_client, run_verifier
from voting import services, specs
from voting.models import Ballot, Poll
from voting.protocol.client import code_ballot, named_ballot


def test_named_poll_needs_the_deputys_own_session(app, tmp_path):
    congress, session = make_congress(4)
    check_in_all(session, congress.deputies[:2])
    poll = approval_poll(session, options=2, seats=1, secrecy="named")
    absent = deputy_client(app, "D003")
    absent_token = csrf_from(absent.get(f"/polls/{poll.public_id}/vote").get_data(as_text=True))
    response = absent.post(
        f"/api/polls/{poll.public_id}/ballots",
        headers={"X-CSRFToken": absent_token},
        json=named_ballot(poll.manifest, "D003", {"p01": "yes", "p02": "no"}),
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "not_checked_in")
    client = deputy_client(app, "D001")
    page = client.get(f"/polls/{poll.public_id}/vote").get_data(as_text=True)
    assert 'data-voter="D001"' in page and "记名表决" in page
    token = csrf_from(page)
    url = f"/api/polls/{poll.public_id}/ballots"
    mine = named_ballot(poll.manifest, "D001", {"p01": "yes", "p02": "no"})
    # Without the session there is no voter; as another deputy it is refused.
    assert app.test_client().post(url, json=mine).status_code in (400, 403)
    theirs = named_ballot(poll.manifest, "D002", {"p01": "yes", "p02": "no"})
    response = client.post(url, json=theirs, headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()["error"]) == (403, "not_your_ballot")
    first = client.post(url, json=mine, headers={"X-CSRFToken": token})
    assert first.status_code == 201
    # A retry gets its receipt back even without the session (nothing new is stored).
    assert app.test_client().post(url, json=mine).get_json() == first.get_json()
    again = named_ballot(poll.manifest, "D001", {"p01": "no", "p02": "no"})
    assert client.post(url, json=again, headers={"X-CSRFToken": token}).status_code == 409
    close(poll)
    published = board(app, poll)
    assert [e["present"] for e in published["register"]] == [True, True, False, False]
    assert "token_issued" not in published["register"][0]
    assert run_verifier(published, tmp_path)[0] == 0


def test_code_poll_through_the_api(app, tmp_path):
    poll = specs.create_from_spec(
        {
            "poll": "public-assessment",
            "title": "公众满意度测评",
            "ballot": "satisfaction",
            "secrecy": "code",
            "options": ["老旧小区改造", "农村客运"],
            "rules": specs.build_rules("satisfaction", base="cast"),
        }
    )
    codes = services.generate_codes(poll, 5)
    services.open_poll(poll)
    db.session.commit()
    assert len(set(codes)) == 5 and all(len(c) == 19 and c.count("-") == 3 for c in codes)
    url = f"/api/polls/{poll.public_id}/ballots"
    client = app.test_client()
    choice = {"p01": "satisfied", "p02": "basic"}
    # Spaces, hyphens and lower case are normalised.
    loose = codes[0].replace("-", " ").lower()
    assert client.post(url, json=code_ballot(poll.manifest, loose, choice)).status_code == 201
    response = client.post(url, json=code_ballot(poll.manifest, codes[0], {"p01": "dissatisfied", "p02": "basic"}))
    assert (response.status_code, response.get_json()["error"]) == (409, "already_used")
    unknown = "ABCD-EFGH-JKLM-NPQR"
    response = client.post(url, json=code_ballot(poll.manifest, unknown, choice))
    assert (response.status_code, response.get_json()["error"]) == (403, "unknown_code")
    outside_alphabet = code_ballot(poll.manifest, codes[3], choice)
    outside_alphabet["code"] = "ABCD-EFGH-IJKL-0000"
    response = client.post(url, json=outside_alphabet)
    assert (response.status_code, response.get_json()["error"]) == (422, "bad_code")
    mismatched = code_ballot(poll.manifest, codes[1], choice)
    mismatched["code"] = codes[2]
    assert client.post(url, json=mismatched).get_json()["error"] == "bad_code"
    assert client.post(url, json=code_ballot(poll.manifest, codes[1], choice)).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2
    close(poll)
    published = board(app, poll)
    assert "register" not in published and len(published["codes"]) == 5
    assert published["result"]["present"] == 5
    assert run_verifier(published, tmp_path)[0] == 0


def test_staff_create_open_and_close_a_poll_in_the_browserless_ui(staff_client, app):
    _, session = make_congress(3)
    token = csrf_token(staff_client, "/staff/polls/new")
    form = {
        "title": "界面创建的票决",
        "ballot": "approval",
        "secrecy": "secret",
        "session_id": str(session.id),
        "options": "项目甲\n项目乙\n\n项目丙\n",
        "seats": "2",
        "max_yes": "2",
        "base": "electorate",
        "more_than": "1/2",
        "rectify_below": "",
        "csrf_token": token,
    }
    # The form names the field in plain words, never the manifest's JSON path.
    too_many = dict(form, max_yes="5")
    response = staff_client.post("/staff/polls/new", data=too_many)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "最多同意数不能超过候选项目数（3）" in text and "manifest" not in text
    response = staff_client.post("/staff/polls/new", data=form)
    assert response.status_code == 302
    poll = db.session.scalar(select(Poll).where(Poll.title == "界面创建的票决"))
    assert poll.public_id == f"{session.starts_on.year}-session{session.id}-vote"
    assert [o["title"] for o in poll.options] == ["项目甲", "项目乙", "项目丙"]
    # The same form again: a second draft, its id with a suffix.
    assert staff_client.post("/staff/polls/new", data=form).status_code == 302
    again = db.session.scalar(select(Poll).where(Poll.title == "界面创建的票决", Poll.id != poll.id))
    assert again.public_id == poll.public_id + "-2"
    # Opening without the confirmation box is refused, and says so.
    response = staff_client.post(f"/staff/polls/{poll.id}/open", data={"csrf_token": token})
    assert response.status_code == 422 and "请先勾选“我已核对，确认执行”" in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert poll.is_draft
    staff_client.post(f"/staff/polls/{poll.id}/open", data={"csrf_token": token, "confirm": "y"})
    db.session.refresh(poll)
    assert poll.state == "open" and poll.fingerprint
    page = staff_client.get(f"/staff/polls/{poll.id}").get_data(as_text=True)
    assert poll.fingerprint in page and "无记名投票进行中不显示中间结果" in page
    counts = staff_client.get(f"/staff/polls/{poll.id}/counts.json").get_json()
    assert counts.pop("cast_as_of").startswith("截至 ")  # the cast count is as of a 30-s boundary
    assert counts == {"electorate": 3, "present": 0, "issued": 0, "cast": 0}
    opened = {"csrf_token": token, "confirm": "y"}
    assert staff_client.post(f"/staff/polls/{poll.id}/open", data=opened).status_code == 409
    assert staff_client.post(f"/staff/polls/{poll.id}/close", data={"csrf_token": token}).status_code == 422
    staff_client.post(f"/staff/polls/{poll.id}/close", data=opened)
    db.session.refresh(poll)
    assert poll.state == "closed" and poll.result["cast"] == 0
    assert "没有项目当选" in app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)


def test_deputies_and_the_public_cannot_reach_staff_pages(app):
    make_congress(1)
    client = deputy_client(app, "D001")
    for url in ("/staff/polls", "/staff/polls/new", "/dashboard", "/audit"):
        assert client.get(url).status_code == 403
        assert app.test_client().get(url).status_code == 302


def test_poll_commands(runner, app, tmp_path):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "poll": "cli-poll",
                "title": "命令行票决",
                "ballot": "approval",
                "secrecy": "secret",
                "session": session.id,
                "options": ["甲", "乙"],
                "rules": {"threshold": {"base": "electorate", "more_than": "1/2"}, "seats": 1, "max_yes": 1},
            }
        )
    )
    result = runner.invoke(args=["poll", "create", str(spec)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["poll", "create", str(spec)]).exit_code != 0
    result = runner.invoke(args=["poll", "open", "cli-poll"])
    assert "fingerprint" in result.output
    poll = db.session.scalar(select(Poll).where(Poll.public_id == "cli-poll"))
    from tests.voting.factories import take_token

    voter = take_token(app, poll, "D001")
    assert cast(app, poll, voter.ballot({"p01": "yes", "p02": "no"})).status_code == 201
    assert runner.invoke(args=["poll", "close", "cli-poll"]).exit_code == 0
    out = tmp_path / "board.json"
    assert runner.invoke(args=["poll", "board", "cli-poll", "--out", str(out)]).exit_code == 0
    published = json.loads(out.read_text())
    assert run_verifier(published, tmp_path)[0] == 0
    assert "cli-poll\tclosed" in runner.invoke(args=["poll", "list"]).output
