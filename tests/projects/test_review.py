"""A citizen's suggestion is public only after review: before it, it is on no public
list, page or export, but its author follows it with the tracking code and staff see
it in their queue; approval publishes it, a refusal shows its reason to the author."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from core.times import local_today
from extensions import db
from projects.models import ProposalCall, Suggestion
from tests.factories import csrf_token
from tests.projects.factories import YEAR

GOOD = {
    "title": "菜市场门口增设停车点",
    "description": "早市时电动车乱停，行人无处落脚。",
    "category": "transport",
    "location": "白鹭镇",
    "name": "陈女士",
    "phone": "13912345678",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _post(client, url, data, page):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, page)))


def _suggest(client, **changes) -> tuple[int, str]:
    """Send a suggestion as a citizen: its id and the tracking code shown once."""
    response = _post(client, "/suggest", dict(GOOD, **changes), "/suggest")
    assert response.status_code == 303
    sent = _text(client.get(response.headers["Location"]))
    code = re.search(r'id="tracking-code">([A-Z0-9-]+)<', sent).group(1)
    assert "待审核" in sent and "陈女士" not in sent
    suggestion = db.session.query(Suggestion).filter_by(title=changes.get("title", GOOD["title"])).one()
    return suggestion.id, code


def _track(client, code: str):
    response = _post(client, "/suggestions/track", {"code": code}, "/suggestions/track")
    assert response.status_code == 303, _text(response)
    assert code not in response.headers["Location"]  # the code never travels in a URL
    return _text(client.get(response.headers["Location"]))


def _public(client, title: str) -> dict[str, bool]:
    """Where ``title`` shows to the public: the list, the search and both exports."""
    return {
        "list": f">{title}</a>" in _text(client.get(f"/projects/{YEAR}/suggestions")),
        "search": f">{title}</a>" in _text(client.get(f"/projects/{YEAR}/suggestions?q={title}")),
        "csv": title in _text(client.get(f"/projects/{YEAR}/suggestions.csv")),
        "json": title in json.dumps(client.get(f"/projects/{YEAR}/suggestions.json").get_json(), ensure_ascii=False),
    }


def test_a_pending_suggestion_is_seen_by_its_author_and_staff_only(cycle_app, call, staff_client):
    citizen, client = cycle_app.test_client(), cycle_app.test_client()
    sid, code = _suggest(citizen)
    title = GOOD["title"]
    assert _public(client, title) == {"list": False, "search": False, "csv": False, "json": False}
    assert client.get(f"/suggestions/{sid}").status_code == 404
    assert citizen.get(f"/suggestions/{sid}").status_code == 404
    # The author, in another browser, with the code typed loosely.
    other = cycle_app.test_client()
    tracked = _track(other, code.lower().replace("-", " "))
    assert title in tracked and "待审核" in tracked and "13912345678" not in tracked
    # Staff: the queue (with the private contact) and the page itself.
    queue = _text(staff_client.get("/staff/projects/review"))
    assert title in queue and "13912345678" in queue and f'id="review-{sid}"' in queue
    staff_page = staff_client.get(f"/suggestions/{sid}")
    assert staff_page.status_code == 200 and "只有工作人员能看到" in _text(staff_page)
    # Accepting or merging before review is refused.
    refused = _post(staff_client, f"/staff/projects/suggestions/{sid}/accept", {}, "/staff/projects/review")
    assert refused.status_code == 409 and "请先审核" in _text(refused)

    approved = _post(staff_client, f"/staff/projects/suggestions/{sid}/approve", {}, "/staff/projects/review")
    assert approved.status_code == 303
    assert _public(client, title) == {"list": True, "search": True, "csv": True, "json": True}
    assert client.get(f"/suggestions/{sid}").status_code == 200
    assert "已公开" in _track(other, code)
    again = _post(staff_client, f"/staff/projects/suggestions/{sid}/approve", {}, "/staff/projects/review")
    assert again.status_code == 409
    assert title not in _text(staff_client.get("/staff/projects/review"))


def test_a_refusal_needs_a_reason_and_the_author_reads_it(cycle_app, call, staff_client):
    citizen, client = cycle_app.test_client(), cycle_app.test_client()
    sid, code = _suggest(citizen, title="广告推销")
    url = f"/staff/projects/suggestions/{sid}/refuse"
    empty = _post(staff_client, url, {"reason": "  "}, "/staff/projects/review")
    assert empty.status_code == 422 and "不予公开的理由" in _text(empty)
    done = _post(staff_client, url, {"reason": "内容为商业广告，与民生实事无关"}, "/staff/projects/review")
    assert done.status_code == 303
    tracked = _track(citizen, code)
    assert "未通过审核" in tracked and "内容为商业广告，与民生实事无关" in tracked
    assert _public(client, "广告推销") == {"list": False, "search": False, "csv": False, "json": False}
    assert client.get(f"/suggestions/{sid}").status_code == 404
    # Refused once, it cannot be refused again; staff may still publish it.
    assert _post(staff_client, url, {"reason": "再次"}, "/staff/projects/review").status_code == 409


def test_the_review_is_for_staff_only(cycle_app, call, client):
    sid, _code = _suggest(cycle_app.test_client())
    assert client.get("/staff/projects/review").status_code in (302, 401, 403)
    token = csrf_token(client, "/suggest")
    response = client.post(f"/staff/projects/suggestions/{sid}/approve", data={"csrf_token": token})
    assert response.status_code in (302, 401, 403)
    assert db.session.get(Suggestion, sid).is_awaiting_review


@pytest.mark.parametrize("code", ["", "abc", "ABCD-EFGH-JKLM", "0000-0000-0000", "x" * 30])
def test_a_wrong_code_is_answered_with_a_message(cycle_app, call, client, code):
    response = _post(client, "/suggestions/track", {"code": code}, "/suggestions/track")
    assert response.status_code in (404, 422)
    assert "查询码" in _text(response)
    assert client.get("/suggestions/track/not-a-hold").status_code == 404


@pytest.mark.slow
def test_the_demo_keeps_its_suggestions_public_and_one_waits(app, staff_client):
    from core.demo import seed_demo

    client = app.test_client()
    seed_demo(local_today())
    db.session.commit()
    call = db.session.scalar(select(ProposalCall).order_by(ProposalCall.year.desc()))
    waiting = db.session.scalars(select(Suggestion).where(Suggestion.review != "approved")).all()
    assert [s.title for s in waiting] == ["菜市场门口增设非机动车停放点"]
    listing = _text(client.get(f"/projects/{call.year}/suggestions"))
    assert "建议实施" in listing and "菜市场门口增设非机动车停放点" not in listing
    assert "菜市场门口增设非机动车停放点" in _text(staff_client.get("/staff/projects/review"))


def test_the_tracking_code_is_held_like_every_one_time_secret(cycle_app, call, client):
    from projects.services import tracking_digest
    from tests.core.test_held import check_held

    response = _post(client, "/suggest", GOOD, "/suggest")

    def read(html):
        return re.findall(r'id="tracking-code">([A-Z0-9-]+)<', html)

    (code,) = check_held(cycle_app, client, response, [cycle_app.test_client()], read)
    assert db.session.scalar(select(Suggestion.tracking_hash)) == tracking_digest(code)
