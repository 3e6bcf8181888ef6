"""The public lists of meetings and of a meeting's opinions over HTTP: search, filters,
pages that keep the filters, a hidden opinion's text never searched, bad values never
failing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.models import utcnow
from core.times import to_local
from deliberation import services
from extensions import db
from tests.deliberation.factories import lead_unit, make_meeting, move

TOPICS = {"老旧小区加装电梯", "菜市场改造", "河道整治听证", "去年的公园改造"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _shown(html: str, names=TOPICS) -> set[str]:
    return {t for t in names if f"<strong>{t}</strong>" in html}


@pytest.fixture
def meetings(app):
    """Two upcoming meetings, one past this year (a hearing) and one from last year."""
    lift = make_meeting(topic="老旧小区加装电梯")
    market = make_meeting(topic="菜市场改造", kind="council", members=30, days=20)
    river = make_meeting(topic="河道整治听证", kind="hearing", days=2)
    move(river, hours=-24 * 3)
    park = make_meeting(topic="去年的公园改造", days=2)
    move(park, hours=-24 * 400)
    return {"lift": lift, "market": market, "river": river, "park": park}


def test_meetings_are_searched_and_filtered(client, meetings):
    assert _shown(_text(client.get("/meetings/"))) == TOPICS
    assert _shown(_text(client.get("/meetings/?q=菜市场"))) == {"菜市场改造"}
    # The agenda is searched too (every factory meeting has these two items).
    assert _shown(_text(client.get("/meetings/?q=费用分摊"))) == TOPICS
    assert _shown(_text(client.get("/meetings/?kind=hearing"))) == {"河道整治听证"}
    last_year = to_local(meetings["park"].starts_at).year
    assert _shown(_text(client.get(f"/meetings/?year={last_year}"))) == {"去年的公园改造"}
    page = _text(client.get(f"/meetings/?year={last_year}&q=公园"))
    assert _shown(page) == {"去年的公园改造"} and "找到 1 条符合条件的结果" in page
    none = _text(client.get("/meetings/?q=没有这样的会议"))
    assert _shown(none) == set() and "没有符合条件的结果" in none


def test_past_meetings_are_paged_with_the_filters(app, client):
    for i in range(23):
        m = make_meeting(topic=f"往期座谈{i:02d}", kind="forum", days=2)
        move(m, hours=-24 * (i + 3))
    make_meeting(topic="其他类型的往期会议", kind="council", members=30, days=2)
    first = _text(client.get("/meetings/?kind=forum"))
    assert "找到 23 条符合条件的结果" in first and "往期座谈00" in first and "往期座谈20" not in first
    assert "其他类型的往期会议" not in first
    links = [h.replace("&amp;", "&") for h in re.findall(r'<a href="([^"]+)" rel="next"', first)]
    assert links and "kind=forum" in links[0] and "page=2" in links[0]
    second = _text(client.get(links[0]))
    assert "往期座谈20" in second and "往期座谈22" in second and "往期座谈00" not in second
    assert 'aria-current="page" aria-label="第 2 页"' in second


@pytest.fixture
def opinions(app):
    meeting = make_meeting(topic="老旧小区加装电梯")
    item = meeting.agenda[1]
    made = [
        services.submit_opinion(meeting, agenda_item_id=None, category="suggestion", author_name="王大爷", body=b)[0]
        for b in ("建议低楼层少分摊费用", "电梯噪音怎么解决")
    ]
    made.append(
        services.submit_opinion(
            meeting, agenda_item_id=item.id, category="question", author_name=None, body="资金从哪里来"
        )[0]
    )
    made.append(
        services.submit_opinion(meeting, agenda_item_id=None, category="other", author_name=None, body="秘密广告词")[0]
    )
    services.hide_opinion(made[3], "广告")
    reply = services.assign(made[1], lead_unit(), utcnow().date() + timedelta(days=10))
    services.update_reply(reply, status="done", body="选用低噪音机型", outcome="adopted")
    db.session.commit()
    return meeting, made, item


BODIES = {"建议低楼层少分摊费用", "电梯噪音怎么解决", "资金从哪里来"}


def test_opinions_are_searched_and_filtered(client, opinions):
    meeting, made, item = opinions
    url = f"/meetings/{meeting.id}/reply"
    assert _shown(_text(client.get(url)), BODIES) == set()  # bodies are not in <strong>

    def bodies(query: str) -> set[str]:
        return {b for b in BODIES if b in _text(client.get(url + query))}

    assert bodies("") == BODIES
    assert bodies("?q=电梯") == {"电梯噪音怎么解决"}
    assert bodies("?q=低噪音") == {"电梯噪音怎么解决"}  # the reply is searched
    assert bodies("?q=王大爷") == {"建议低楼层少分摊费用", "电梯噪音怎么解决"}
    assert bodies("?category=question") == {"资金从哪里来"}
    assert bodies(f"?item={item.id}") == {"资金从哪里来"}
    assert bodies("?reply=done") == {"电梯噪音怎么解决"}
    assert bodies("?reply=waiting") == {"建议低楼层少分摊费用", "资金从哪里来"}
    # A hidden opinion's text is never searched: the search finds nothing.
    hidden = _text(client.get(url + "?q=秘密广告词"))
    assert "没有符合条件的结果" in hidden and "找到 0 条" in hidden


@pytest.mark.parametrize(
    "bad", [{"kind": "nope"}, {"page": "abc"}, {"page": "99999"}, {"year": "-1"}, {"item": "x"}, {"reply": "1"}]
)
def test_bad_values_answer_the_list(client, meetings, opinions, bad):
    meeting = opinions[0]
    for url in ("/meetings/", f"/meetings/{meeting.id}/reply"):
        response = client.get(url, query_string=bad)
        assert response.status_code == 200, (url, bad)
    page = _text(client.get("/meetings/", query_string=bad))
    assert _shown(page) == TOPICS
