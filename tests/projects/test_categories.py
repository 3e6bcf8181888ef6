"""Suggestion categories are stored as keys and shown in the reader's language: the form,
the public list and its filter, the suggestion's page, the staff page, the open data, and
migration 0008 that turned the stored Chinese names into keys."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from projects import services
from projects.models import LEGACY_CATEGORIES, SUGGESTION_CATEGORIES, Suggestion
from projects.services import CycleError
from tests.factories import csrf_token
from tests.projects.factories import TODAY, YEAR

CHINESE = {
    "transport": "交通出行",
    "education": "教育",
    "elderly_care": "养老托育",
    "other": "其他",
}


def _suggest(call, title: str, category: str) -> Suggestion:
    made, _code = services.submit_suggestion(
        call,
        today=TODAY,
        title=title,
        description="具体内容具体内容",
        category=category,
        location="城关镇",
        name=None,
        phone=None,
    )
    services.approve_suggestion(made)  # public, as the lists below expect
    db.session.commit()
    return made


def _stored(title: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Suggestion.category).where(Suggestion.title == title))


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def pool(call):
    return {
        "school": _suggest(call, "学校门口加装护栏", "education").id,
        "elderly": _suggest(call, "社区老年食堂", "elderly_care").id,
        "road": _suggest(call, "修缮村口道路", "transport").id,
    }


# --- The table --------------------------------------------------------------------------


def test_every_category_has_a_legacy_name_and_the_keys_are_ascii():
    assert set(LEGACY_CATEGORIES.values()) == set(SUGGESTION_CATEGORIES)
    assert len(LEGACY_CATEGORIES) == len(SUGGESTION_CATEGORIES)
    assert all(key.isascii() and key.replace("_", "").isalpha() and len(key) <= 32 for key in SUGGESTION_CATEGORIES)


def test_the_chinese_labels_are_the_legacy_names(app):
    """Today the names shown in Chinese are the ones stored before the keys."""
    with app.test_request_context(headers={"Cookie": "yishi_lang=zh"}):
        assert {str(label): key for key, label in SUGGESTION_CATEGORIES.items()} == LEGACY_CATEGORIES


def test_the_database_admits_only_keys(cycle_app, call):
    db.session.add(
        Suggestion(call=call, title="甲", description="乙", category="交通出行", location="丙", status="pending")
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_service_stores_the_key_and_refuses_an_unknown_category(cycle_app, call):
    _suggest(call, "老说法", "交通出行")  # the Chinese name earlier forms sent
    _suggest(call, "新说法", "transport")
    assert _stored("老说法") == _stored("新说法") == "transport"
    with pytest.raises(CycleError) as refused:
        _suggest(call, "无类别", "traffic")
    assert refused.value.status == 422
    db.session.rollback()
    assert _stored("无类别") is None


# --- The form -----------------------------------------------------------------------------


def _post_suggestion(client, category: str, title: str):
    data = {
        "title": title,
        "description": "上学放学时车多人多，孩子过马路很危险。",
        "category": category,
        "location": "白鹭镇",
        "csrf_token": csrf_token(client, "/suggest"),
    }
    return client.post("/suggest", data=data)


def test_the_form_offers_keys_with_labels_in_the_readers_language(cycle_app, client, call):
    page = _text(client.get("/suggest"))
    assert '<option value="elderly_care">养老托育</option>' in page
    client.get("/lang/en")
    page = _text(client.get("/suggest"))
    assert '<option value="elderly_care">Elderly care and childcare</option>' in page
    assert "养老托育" not in page and "交通出行" not in page

    assert _post_suggestion(client, "elderly_care", "老年食堂").status_code == 303
    assert _post_suggestion(client, "养老托育", "老年食堂二").status_code == 303
    assert _stored("老年食堂") == _stored("老年食堂二") == "elderly_care"
    refused = _post_suggestion(client, "nursing", "老年食堂三")
    assert refused.status_code == 422 and "Not a valid choice" in _text(refused)
    assert _stored("老年食堂三") is None


# --- The pages ----------------------------------------------------------------------------


def test_the_pages_show_the_label_in_the_readers_language(cycle_app, client, staff_client, pool):
    anonymous = cycle_app.test_client()
    listing = _text(anonymous.get(f"/projects/{YEAR}/suggestions"))
    assert "<td>养老托育</td>" in listing and "<td>教育</td>" in listing
    assert "elderly_care</td>" not in listing

    anonymous.get("/lang/en")
    listing = _text(anonymous.get(f"/projects/{YEAR}/suggestions"))
    assert "<td>Elderly care and childcare</td>" in listing and "<td>Education</td>" in listing
    assert "<td>Transport</td>" in listing
    assert '<option value="education">Education</option>' in listing
    for name in CHINESE.values():
        assert name not in listing
    one = _text(anonymous.get(f"/suggestions/{pool['elderly']}"))
    assert "<dd>Elderly care and childcare</dd>" in one and "养老托育" not in one

    staff_client.get("/lang/en")
    staff = _text(staff_client.get(f"/staff/projects/{YEAR}"))
    assert "Elderly care and childcare · 城关镇" in staff and "养老托育" not in staff
    staff_client.get("/lang/zh")
    assert "养老托育 · 城关镇" in _text(staff_client.get(f"/staff/projects/{YEAR}"))


def _titles(html: str) -> set[str]:
    return {t for t in ("学校门口加装护栏", "社区老年食堂", "修缮村口道路") if t in html}


def test_the_list_filters_by_key(cycle_app, client, pool):
    url = f"/projects/{YEAR}/suggestions"
    assert _titles(_text(client.get(url))) == {"学校门口加装护栏", "社区老年食堂", "修缮村口道路"}
    assert _titles(_text(client.get(url, query_string={"category": ""}))) == _titles(_text(client.get(url)))

    education = client.get(url, query_string={"category": "education"})
    assert education.status_code == 200 and _titles(_text(education)) == {"学校门口加装护栏"}
    assert '<option value="education" selected>' in _text(education)
    empty = client.get(url, query_string={"category": "employment"})
    assert _titles(_text(empty)) == set() and "没有符合条件的结果" in _text(empty)


def test_an_old_link_with_the_chinese_name_is_redirected_to_the_key(cycle_app, client, pool):
    url = f"/projects/{YEAR}/suggestions"
    response = client.get(url, query_string={"category": "养老托育"})
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"{url}?category=elderly_care")
    followed = client.get(url, query_string={"category": "养老托育"}, follow_redirects=True)
    assert followed.status_code == 200 and _titles(_text(followed)) == {"社区老年食堂"}


@pytest.mark.parametrize("bad", ["traffic", "EDUCATION", "教育局", "x" * 500, "'; DROP TABLE suggestion; --"])
def test_an_unknown_category_is_refused_in_the_readers_language(cycle_app, client, pool, bad):
    url = f"/projects/{YEAR}/suggestions"
    response = client.get(url, query_string={"category": bad})
    assert response.status_code == 400 and "没有这个建议类别" in _text(response)
    client.get("/lang/en")
    response = client.get(url, query_string={"category": bad})
    assert response.status_code == 400 and "There is no such suggestion category" in _text(response)


# --- Open data ------------------------------------------------------------------------------


def test_the_open_data_keeps_the_chinese_name_and_adds_the_key(cycle_app, client, pool):
    client.get("/lang/en")  # the files do not depend on the reader's language
    rows = json.loads(client.get(f"/projects/{YEAR}/suggestions.json").data)["rows"]
    by_title = {r["title"]: r for r in rows}
    assert (by_title["社区老年食堂"]["category"], by_title["社区老年食堂"]["category_key"]) == (
        "养老托育",
        "elderly_care",
    )
    assert {r["category_key"] for r in rows} == {"education", "elderly_care", "transport"}

    lines = client.get(f"/projects/{YEAR}/suggestions.csv").data.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[3] == "category" and header[-1] == "category_key"
    assert any(line.split(",")[3] == "养老托育" and line.endswith(",elderly_care") for line in lines[1:])


# --- Migration 0008 -------------------------------------------------------------------------


def test_migration_0008_turns_the_chinese_names_into_keys_and_back(backend, tmp_path):
    """At 0007 rows hold the Chinese names; the upgrade makes them keys (an unknown name
    becomes ``other``) and the database then refuses anything else; the downgrade gives
    the names back."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import Client, _pg_second_database, base_config, database_url

    url = _pg_second_database(backend) if backend["kind"] == "postgresql" else database_url(backend, tmp_path)
    other = create_app(base_config(tmp_path, url))
    other.test_client_class = Client
    with other.app_context():
        try:
            downgrade(revision="0007")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO proposal_call (id, year, title, notice, opens_on, closes_on, created_at) "
                        "VALUES (1, :year, '征集', '公告', :opens, :closes, :now)"
                    ),
                    {"year": YEAR, "opens": date(2026, 10, 1), "closes": date(2026, 11, 30), "now": TODAY},
                )
                for i, category in enumerate([*CHINESE.values(), "手写的类别"], start=1):
                    conn.execute(
                        text(
                            "INSERT INTO suggestion (id, call_id, title, description, category, location, source, "
                            "status, submitted_at) VALUES (:id, 1, :title, '内容', :category, '城关镇', 'web', "
                            "'pending', :now)"
                        ),
                        {"id": i, "title": f"建议{i}", "category": category, "now": TODAY},
                    )
            upgrade(revision="heads")

            def categories() -> list[str]:
                with db.engine.connect() as conn:
                    return list(conn.execute(text("SELECT category FROM suggestion ORDER BY id")).scalars())

            assert categories() == [*CHINESE, "other"]
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text("UPDATE suggestion SET category = '教育' WHERE id = 1"))
            # The site reads the converted rows in the reader's language.
            client = other.test_client()
            client.get("/lang/en")
            listing = _text(client.get(f"/projects/{YEAR}/suggestions", query_string={"category": "elderly_care"}))
            assert "<td>Elderly care and childcare</td>" in listing and "建议3" in listing and "建议1" not in listing

            downgrade(revision="0007")
            assert categories() == [*CHINESE.values(), "其他"]
            with db.engine.begin() as conn:  # no constraint at 0007
                conn.execute(text("UPDATE suggestion SET category = '手写的类别' WHERE id = 5"))
        finally:
            db.session.remove()
            upgrade(revision="heads")
            db.engine.dispose()
