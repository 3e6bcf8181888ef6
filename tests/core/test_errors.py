"""One domain error: every package's refusals derive from ``core.errors.DomainError``
and one app-level handler answers them, as a page or as JSON, rolled back."""

from __future__ import annotations

import pytest
from flask import Blueprint

from assessments.services import AssessmentError
from core.errors import DomainError
from core.models import Congress
from deliberation.services import DeliberationError
from extensions import db
from projects.services import CycleError
from voting.services import LogMismatch, PollError


@pytest.mark.parametrize("cls", [PollError, CycleError, AssessmentError, DeliberationError, LogMismatch])
def test_every_package_error_is_a_domain_error(cls):
    assert issubclass(cls, DomainError)


def test_no_blueprint_or_app_handler_but_the_one(app):
    """Handlers for the package errors are not registered anywhere else."""
    for blueprint, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            for exc_class in handlers:
                if issubclass(exc_class, DomainError):
                    assert (blueprint, exc_class) == (None, DomainError)


@pytest.fixture
def refusing_app(app):
    bp = Blueprint("refuse_test", __name__)

    @bp.get("/refuse/<kind>")
    def refuse(kind: str):
        db.session.add(Congress(name="不应保存的大会"))
        db.session.flush()
        if kind == "poll":
            raise PollError(409, "poll_closed")
        raise DeliberationError(422, "会议已经结束，不能再报名。")

    app.register_blueprint(bp)
    return app


def test_refusal_is_rolled_back_and_answered_as_page_or_json(refusing_app):
    client = refusing_app.test_client()
    page = client.get("/refuse/meeting", headers={"Accept": "text/html"})
    assert page.status_code == 422
    assert "会议已经结束，不能再报名。" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"

    data = client.get("/refuse/poll", headers={"Accept": "application/json"})
    assert data.status_code == 409
    assert data.get_json() == {"error": "poll_closed", "message": "投票已经结束，不再接受选票。"}

    client.get("/lang/en")
    english = client.get("/refuse/poll", headers={"Accept": "application/json"})
    assert english.get_json()["error"] == "poll_closed"
    assert "closed" in english.get_json()["message"]

    assert db.session.query(Congress).filter_by(name="不应保存的大会").count() == 0
