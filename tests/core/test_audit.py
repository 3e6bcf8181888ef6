"""The audit log: written for state changes, readable by staff, append-only in the database."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core import audit
from extensions import db
from tests.factories import last_page, login


def test_audit_page_lists_actions_for_staff_only(staff_client, app):
    page = staff_client.get("/audit").get_data(as_text=True)
    assert "auth.login" in page
    deputy = app.test_client()
    from tests.factories import make_congress

    make_congress(1)
    login(deputy, "D001")
    assert deputy.get("/audit").status_code == 403


def test_audit_log_pages_like_every_list(staff_client):
    """The log's pager is the lists' one (core.listing): numbered, newest first, and a
    page past the last shows the last."""
    for i in range(120):
        audit.record("test.event", "thing", i)
    db.session.commit()
    first = staff_client.get("/audit").get_data(as_text=True)
    assert "第 1 / 2 页" in first and 'rel="next"' in first and 'aria-label="分页"' in first
    assert ">thing 119<" in first and ">thing 0<" not in first
    assert ">thing 0<" in last_page(staff_client, "/audit?page=7", 2)


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_update_and_delete(app, statement):
    audit.record("test.event", "thing", 1)
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
