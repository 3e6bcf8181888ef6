"""Every route × role on the demo data: anonymous, deputy, lead unit, staff (a code
holder is anonymous: codes are typed into public pages). A new route fails this
test until its permission is declared here."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing.converters import IntegerConverter
from werkzeug.security import generate_password_hash

from core.models import User
from extensions import db
from tests.factories import FAST_HASH, PASSWORD, csrf_token, login

pytestmark = pytest.mark.slow

ROLES = ("anonymous", "deputy", "lead_unit", "staff")
STAFF_ONLY = (302, 403, 403, 200)
PUBLIC = (200, 200, 200, 200)

GET_EXPECTED = {
    **dict.fromkeys(
        [
            "assessments.staff_list",
            "assessments.staff_detail",
            "assessments.committees",
            "assessments.committee",
            "assessments.rectification",
            "assessments.staff_suggestions",
            "core.audit_log",
            "jobs.index",
            "jobs.detail",
            "jobs.status",
            "core.congresses",
            "core.congress",
            "core.roster_import",
            "core.dashboard",
            "core.session",
            "core.session_counts",
            "core.session_qr",
            "deliberation_staff.meetings",
            "deliberation_staff.meeting",
            "deliberation_staff.checkin",
            "deliberation_staff.decisions",
            "deliberation_staff.minutes",
            "deliberation_staff.opinions",
            "deliberation_staff.signups",
            "deliberation_staff.followup",
            "deliberation_staff.meeting_new",
            "voting.staff_polls",
            "voting_scrutiny.staff_scrutineers",
            "voting_hall.screen",
            "voting_hall.screen_json",
            "voting.staff_poll",
            "voting.staff_poll_counts",
            "voting.poll_new",
            "projects.staff_index",
            "projects.staff_year",
            "projects.assessment_new",
            "projects.candidate_new",
            "projects.candidate_import",
            "projects.vote_new",
            "projects.call_new",
            "projects.members",
            "projects.review_queue",
        ],
        STAFF_ONLY,
    ),
    **dict.fromkeys(
        [
            "core.index",
            "voting_api.polls",
            "voting_api.board",
            "voting_api.manifest",
            "assessments.index",
            "assessments.detail",
            "assessments.rectifications",
            "assessments.year",
            "deliberation.index",
            "deliberation.notice",
            "deliberation.cancel",
            "deliberation.calendar",
            "deliberation.opinion_new",
            "deliberation.reply_page",
            "deliberation.report",
            "deliberation.signup",
            "deliberation.track",
            "voting.results_index",
            "voting.results",
            "voting.results_json",
            "voting.turnout_json",
            "projects.index",
            "projects.year_page",
            "projects.export",
            "projects.poster",
            "projects.progress_board",
            "projects.suggestions",
            "projects.project_page",
            "projects.suggestion_page",
            "projects.suggestion_track",
            "core.robots",
            "core.favicon",
            "voting.verify_help",
            "voting.verifier_zip",
            "static",
        ],
        PUBLIC,
    ),
    # One-time secrets held for the browser that made them: staff pages, and no
    # browser holds the made-up id (404).
    "core.passwords": (302, 403, 403, 404),
    "voting.code_slips": (302, 403, 403, 404),
    "assessments.slips": (302, 403, 403, 404),
    # A staff member may not edit a candidate whose vote has opened (409).
    "projects.candidate_edit": (302, 403, 403, 409),
    # Deputies only: their own page, ballots, suggestions and check-in.
    "core.deputy_home": (302, 200, 403, 403),
    "voting.ballot_page": (302, 200, 403, 403),
    # (rev 5) a poll's scrutineers only: D001 is not one of the demo vote's.
    "voting_scrutiny.scrutineer_page": (302, 403, 403, 403),
    "assessments.my_suggestions": (302, 200, 403, 403),
    "core.qr_checkin": (302, 404, 403, 403),  # a wrong check-in secret is not found
    "projects.inspect": (302, 200, 403, 403),  # deputies of the monitoring group
    # Lead units: what is assigned to their unit (staff see it too where they manage it).
    "assessments.unit_suggestions": (302, 403, 200, 403),
    "deliberation_staff.unit": (302, 403, 200, 403),
    "deliberation_staff.reply_edit": (302, 403, 200, 200),
    "projects.report": (302, 403, 200, 200),
    # A deputy's suggestion: its author and staff; a lead unit only once assigned it.
    "assessments.suggestion": (302, 200, 404, 200),
    "auth.password": (302, 200, 200, 200),
    # Staff pages on the demo's first rows, which are no longer drafts: editing them is
    # refused (409) even for staff; other roles never reach them.
    "assessments.staff_edit": (302, 403, 403, 409),
    "voting.poll_edit": (302, 403, 403, 409),
    "deliberation_staff.meeting_edit": (302, 403, 403, 409),
    # The staff's accounts page, and an account's one-time password held by another browser.
    "accounts.index": STAFF_ONLY,
    # Paper ballots: staff allow and mark them; only the poll's scrutineers enter them
    # (the demo's deputy D001 is not one, and staff may not).
    "voting_paper.staff_paper": STAFF_ONLY,
    "voting_paper.paper_entry": (302, 403, 403, 403),
    "accounts.password": (302, 403, 403, 404),
    "auth.login": (200, 302, 302, 302),
    "core.set_language": (302, 302, 302, 302),
}
# Routes whose answer depends only on the data (a draw not yet made, a file that does
# not exist, a call not open): the same for every role, never a server error.
SAME_FOR_ALL = {
    "assessments.document",
    "deliberation.draw",
    "deliberation.draw_json",
    "voting.code_ballot_page",
    "projects.photo",
    "projects.suggest",
    # A sign-up code, a tracking code: only for the browser holding them.
    "deliberation.signup_done",
    "deliberation.opinion_done",
    "deliberation.tracked",
    "projects.suggestion_sent",
    "projects.suggestion_tracked",
}
# Public POSTs that anyone may send (checked by their own tests for bad input).
PUBLIC_POSTS = {
    "voting_api.ballots",
    "voting_api.tokens",
    "voting.report_lost_token",  # the deputy's own report; tests/voting/test_token_repeat.py
    # (rev 5) a scrutineer's own key, refusal and co-signature; tests/voting/test_scrutineers.py
    "voting_scrutiny.enroll",
    "voting_scrutiny.decline",
    "voting_api.cosignatures",
    "auth.login",
    "auth.logout",
    "auth.password",
    "deliberation.cancel",
    "deliberation.opinion_new",
    "deliberation.signup",
    "deliberation.track",
    "deliberation.rate",
    "projects.suggest",
    "projects.suggestion_track",
    "core.qr_checkin",
    "assessments.my_suggestions",
    "assessments.suggestion_rate",
    "assessments.suggestion_reply",
    "projects.inspect",
    "projects.report",
    "projects.rectification_done",
    "deliberation_staff.reply_edit",
    "core.held_noted",  # anyone may say they noted their own held secret
    "auth.logout_others",  # every account may end its own sessions elsewhere (tests/core/test_login_sessions.py)
}


def _url(app, rule, year, poll_id):
    values = {
        "year": year,
        "poll_id": poll_id,
        "code": "zh",
        "kind": "results",
        "fmt": "json",
        "name": "x.png",
        "secret": "not-the-secret",
        "filename": "css/site.css",
        "held_id": "not-held-here",
    }
    args = {}
    for name in rule.arguments:
        if name == "year" or not isinstance(rule._converters[name], IntegerConverter):
            args[name] = values[name]
        else:
            args[name] = 1
    with app.test_request_context():
        return url_for(rule.endpoint, **args)


@pytest.fixture
def demo_clients(app):
    from core.demo import seed_demo

    today = date.today()
    seed_demo(today)
    from core.models import Job

    db.session.add(Job(kind="roster_import", label="demo", state="done", done=1, total=1))  # /staff/jobs/1
    for user in db.session.scalars(select(User).where(User.username.in_(["admin", "D001", "zhujianju"]))):
        user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    db.session.commit()
    clients = {}
    for role, username in zip(ROLES, (None, "D001", "zhujianju", "admin")):
        client = app.test_client()
        if username:
            assert login(client, username).status_code == 302
        clients[role] = client
    return clients, today.year, f"{today.year}-qingxi-18-4-minsheng"


def test_every_route_for_every_role(app, demo_clients):
    clients, year, poll_id = demo_clients
    problems = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods:
            url = _url(app, rule, year, poll_id)
            got = tuple(clients[role].get(url).status_code for role in ROLES)
            if rule.endpoint in SAME_FOR_ALL:
                if len(set(got)) != 1 or got[0] >= 500:
                    problems.append(f"GET {url}: {got} should be the same for all and not 5xx")
            elif rule.endpoint not in GET_EXPECTED:
                problems.append(f"GET {url} ({rule.endpoint}) has no declared permission: got {got}")
            elif got != GET_EXPECTED[rule.endpoint]:
                problems.append(f"GET {url}: expected {GET_EXPECTED[rule.endpoint]}, got {got}")
        elif rule.endpoint not in PUBLIC_POSTS:
            # A state change for staff: others are refused even with a valid CSRF token.
            url = _url(app, rule, year, poll_id)
            for role in ("deputy", "lead_unit"):
                client = clients[role]
                token = csrf_token(client, "/password")
                status = client.post(url, data={"csrf_token": token}).status_code
                if status != 403:
                    problems.append(f"POST {url} as {role}: expected 403, got {status}")
            anonymous = clients["anonymous"]
            status = anonymous.post(url, data={"csrf_token": csrf_token(anonymous, "/login")}).status_code
            if status != 302:
                problems.append(f"POST {url} anonymously: expected a redirect to log in, got {status}")
    assert not problems, "\n".join(problems)


def test_private_fields_never_public(app, demo_clients):
    """No phone number of a deputy, a suggestion's author or a meeting sign-up appears
    on a public page or in an open-data export."""
    clients, year, poll_id = demo_clients
    from core.models import Deputy

    phones = set(db.session.scalars(select(Deputy.phone).where(Deputy.phone.is_not(None))))
    from deliberation.models import Signup
    from projects.models import Suggestion

    phones |= set(db.session.scalars(select(Signup.phone)))
    phones |= set(db.session.scalars(select(Suggestion.phone).where(Suggestion.phone.is_not(None))))
    assert len(phones) > 200
    # A phone-like number standing alone (tokens and hashes are long runs of characters).
    phone_like = re.compile(r"(?<![\w-])1[3-9]\d{9}(?![\w-])")
    anonymous = clients["anonymous"]
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in rule.methods
            or GET_EXPECTED.get(rule.endpoint) != PUBLIC
            or rule.endpoint in ("static", "voting.verifier_zip", "core.favicon")
        ):
            continue
        url = _url(app, rule, year, poll_id)
        text = anonymous.get(url).get_data(as_text=True)
        leaked = {phone for phone in phones if phone in text}
        assert not leaked, f"{url} shows phone numbers {sorted(leaked)[:3]}"
        if rule.endpoint not in ("voting_api.board", "voting_api.manifest"):
            found = set(phone_like.findall(text))
            assert not found, f"{url} shows phone-like numbers {sorted(found)[:3]}"
    for kind in ("suggestions", "candidates", "results", "progress"):
        for fmt in ("csv", "json"):
            body = anonymous.get(f"/projects/{year}/{kind}.{fmt}").get_data(as_text=True)
            assert not phone_like.findall(body), f"{kind}.{fmt}"
            assert not any(phone in body for phone in phones), f"{kind}.{fmt}"
