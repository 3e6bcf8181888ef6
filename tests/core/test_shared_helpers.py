"""The helpers every package shares: ``form_or_fail`` and ``form_status`` (the answer to
a form that fails), ``session_choices``, ``local_today``; and the 404 of
``db.get_or_404`` where views used to write it by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Blueprint, render_template_string, request
from flask_babel import gettext as _

from core.forms import CongressForm, form_or_fail, form_status
from core.models import Congress, Session
from core.sessions import session_choices
from core.times import local_today
from extensions import csrf, db
from tests.factories import csrf_token, make_congress

CSRF_ZH = "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"
CSRF_EN = "The form has expired or is missing its security token (CSRF)."


@pytest.fixture
def form_app(app):
    """Routes that answer a ``CongressForm`` with the helpers. They are exempt from the
    site-wide CSRF check, so the form's own token check is what refuses a POST without
    one (on the site's routes the site-wide check refuses it first, with the same
    answer)."""
    bp = Blueprint("form_helpers_test", __name__)

    @bp.post("/form-test/fail")
    def fail_route():
        form_or_fail(CongressForm(), _("请输入代表证号。") if request.args.get("message") else None)
        return "saved"

    @bp.route("/form-test/page", methods=["GET", "POST"])
    def page_route():
        form = CongressForm()
        if form.validate_on_submit():
            return "saved"
        refused = request.args.get("refused", type=int)
        return render_template_string("<p>{{ form.name.errors|join }}</p>", form=form), form_status(form, refused)

    csrf.exempt(bp)
    app.register_blueprint(bp)
    return app


def english(client):
    assert client.get("/lang/en").status_code == 302


# --- form_or_fail ---------------------------------------------------------------------


def test_a_missing_csrf_token_answers_400_with_the_csrf_message(form_app):
    client = form_app.test_client()
    response = client.post("/form-test/fail", data={"name": "某县人大"})
    assert response.status_code == 400
    assert CSRF_ZH in response.get_data(as_text=True)
    as_json = client.post("/form-test/fail", data={"name": "某县人大"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.get_json() == {"error": "csrf_failed", "message": CSRF_ZH}
    english(client)
    response = client.post("/form-test/fail", data={"name": "某县人大"})
    assert response.status_code == 400
    assert CSRF_EN in response.get_data(as_text=True)


def test_a_wrong_csrf_token_answers_400_too(form_app):
    client = form_app.test_client()
    response = client.post("/form-test/fail", data={"name": "某县人大", "csrf_token": "not-a-token"})
    assert response.status_code == 400
    assert CSRF_ZH in response.get_data(as_text=True)


def test_a_failed_field_answers_422_with_its_label_and_error(form_app):
    client = form_app.test_client()
    token = csrf_token(client)
    response = client.post("/form-test/fail", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "名称：该字段是必填字段。" in body
    english(client)
    response = client.post("/form-test/fail", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Name: This field is required." in body


def test_a_failed_form_answers_422_with_the_message_given(form_app):
    client = form_app.test_client()
    token = csrf_token(client)
    response = client.post("/form-test/fail?message=1", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    assert "请输入代表证号。" in response.get_data(as_text=True)
    english(client)
    response = client.post("/form-test/fail?message=1", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    assert "Please enter a deputy number." in response.get_data(as_text=True)


def test_a_valid_form_goes_on(form_app):
    client = form_app.test_client()
    response = client.post("/form-test/fail", data={"name": "某县人大", "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "saved"


# --- form_status ----------------------------------------------------------------------


def test_a_form_page_answers_200_then_422_or_the_refusal_with_its_errors(form_app):
    client = form_app.test_client()
    assert client.get("/form-test/page").status_code == 200
    token = csrf_token(client)
    failed = client.post("/form-test/page", data={"name": "", "csrf_token": token})
    assert failed.status_code == 422
    assert failed.get_data(as_text=True) != "<p></p>"  # the field's error is on the page
    refused = client.post("/form-test/page?refused=409", data={"name": "", "csrf_token": token})
    assert refused.status_code == 409
    assert client.post("/form-test/page", data={"name": "某县人大", "csrf_token": token}).status_code == 200


def test_a_form_page_without_its_csrf_token_answers_400(form_app):
    client = form_app.test_client()
    response = client.post("/form-test/page", data={"name": ""})
    assert response.status_code == 400
    assert CSRF_ZH in response.get_data(as_text=True)


# --- On the site's own routes ----------------------------------------------------------


def test_site_routes_answer_bad_forms_with_the_same_codes(staff_client):
    congress, session = make_congress(2)
    token = csrf_token(staff_client, f"/sessions/{session.id}")
    # A button (EmptyForm) without its token: 400 with the CSRF message.
    response = staff_client.post(f"/sessions/{session.id}/qr/renew")
    assert response.status_code == 400
    assert CSRF_ZH in response.get_data(as_text=True)
    # A form with a message of its own.
    response = staff_client.post(f"/sessions/{session.id}/checkin", data={"code": "", "csrf_token": token})
    assert response.status_code == 422
    assert "请输入代表证号。" in response.get_data(as_text=True)
    # A form page shown again with its errors.
    response = staff_client.post("/congresses", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    assert 'name="name"' in response.get_data(as_text=True)
    english(staff_client)
    response = staff_client.post(f"/sessions/{session.id}/checkin", data={"code": "", "csrf_token": token})
    assert response.status_code == 422
    assert "Please enter a deputy number." in response.get_data(as_text=True)
    response = staff_client.post("/logout")
    assert response.status_code == 400
    assert CSRF_EN in response.get_data(as_text=True)


# --- session_choices ------------------------------------------------------------------


def test_session_choices_newest_first_with_placeholder_and_filter(app):
    county, first = make_congress(1)
    committee = Congress(name="测试县人大常委会")
    db.session.add(committee)
    db.session.commit()
    day = date(2028, 1, 10)
    later = Session(congress_id=county.id, name="第十八届人大第五次会议", starts_on=day, ends_on=date(2028, 1, 12))
    db.session.add(later)
    db.session.commit()
    same_day = Session(congress_id=committee.id, name="第十次会议", starts_on=day, ends_on=day)
    db.session.add(same_day)
    db.session.commit()

    assert session_choices() == [
        (same_day.id, "测试县人大常委会 · 第十次会议"),  # the same day: the later made first
        (later.id, "测试县第十八届人民代表大会 · 第十八届人大第五次会议"),
        (first.id, "测试县第十八届人民代表大会 · 第十八届人大第四次会议"),
    ]
    assert session_choices("（不属于会议）")[0] == (0, "（不属于会议）")
    assert [c[0] for c in session_choices("（不属于会议）")[1:]] == [same_day.id, later.id, first.id]
    assert session_choices(where=Session.congress_id == committee.id) == [
        (same_day.id, "测试县人大常委会 · 第十次会议")
    ]
    assert [c[0] for c in session_choices(where=Session.congress_id != committee.id)] == [later.id, first.id]


def test_the_poll_form_offers_the_sessions_after_its_placeholder(staff_client):
    _, session = make_congress(1)
    body = staff_client.get("/staff/polls/new").get_data(as_text=True)
    placeholder = body.index("（测评码投票不属于会议）")
    assert placeholder < body.index("测试县第十八届人民代表大会 · 第十八届人大第四次会议")
    assert f'value="{session.id}"' in body


# --- local_today ----------------------------------------------------------------------


def test_local_today_is_fixed_by_yishi_today(app):
    app.config["YISHI_TODAY"] = date(2031, 5, 1)
    assert local_today() == date(2031, 5, 1)
    app.config["YISHI_TODAY"] = "2031-05-02"
    assert local_today() == date(2031, 5, 2)


def _today_in(zone: str) -> tuple[date, date, date]:
    before = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    seen = local_today()
    after = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    return before, seen, after


def test_local_today_is_the_day_in_the_configured_zone(app):
    app.config["YISHI_TODAY"] = None  # the default: the real day
    days = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC−11
        app.config["BABEL_DEFAULT_TIMEZONE"] = zone
        before, seen, after = _today_in(zone)
        assert seen in (before, after)
        days[zone] = seen
    # 25 hours apart: never the same day, so the zone was honoured.
    assert days["Pacific/Kiritimati"] > days["Pacific/Pago_Pago"]


def test_the_demo_command_counts_from_local_today(app, runner):
    app.config["YISHI_TODAY"] = date(2031, 5, 1)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    fifth = db.session.query(Session).filter_by(name="第十八届人大第五次会议").one()
    assert fifth.starts_on == date(2031, 5, 1)


# --- db.get_or_404 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/staff/polls/987654",
        "/staff/polls/987654/counts.json",
        "/projects/p/987654",
        "/suggestions/987654",
        "/staff/projects/p/987654/edit",
        "/staff/projects/p/987654/members",
        "/projects/photos/no-such-photo.png",
        "/staff/meetings/replies/987654",
    ],
)
def test_unknown_ids_answer_404(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 404
    assert "您要找的页面不存在或尚未公开。" in response.get_data(as_text=True)


def test_unknown_ids_in_posts_answer_404(staff_client):
    token = csrf_token(staff_client, "/staff/polls")
    for url in (
        "/staff/polls/987654/open",
        "/staff/projects/suggestions/987654/accept",
        "/staff/projects/members/987654/remove",
        "/projects/rectifications/987654/done",
        "/staff/meetings/opinions/987654/unhide",
        "/staff/meetings/decisions/987654/open",
    ):
        response = staff_client.post(url, data={"csrf_token": token})
        assert response.status_code == 404, url
