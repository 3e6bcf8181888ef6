"""The site's shared pages: home, staff dashboard, roster, sessions and check-in."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core import audit, held, hooks, jobs, sessions
from core.auth import end_sessions, safe_next
from core.errors import fail
from core.forms import (
    CongressForm,
    EmptyForm,
    RosterImportForm,
    SessionForm,
    StaffCheckinForm,
    form_or_fail,
    form_status,
)
from core.hooks import Page
from core.models import AuditEntry, Congress, Deputy, Session
from core.paging import paginate
from core.passwords import generate_initial_password, hash_password
from core.permissions import deputy_required, staff_required
from core.roster import check_roster, delete_deputy
from core.routing import bounded_int
from extensions import db

bp = Blueprint("core", __name__)

AUDIT_PAGE = 100


@bp.route("/")
def index():
    return render_template("core/index.html", panels=hooks.registry().render_panels(Page.HOME))


@bp.route("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["YISHI_LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")) or url_for("core.index"))
    response.set_cookie(
        "yishi_lang",
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["YISHI_HTTPS"],
    )
    return response


@bp.route("/dashboard")
@staff_required
def dashboard():
    """One card per package, each computing its own figures (``core.hooks``)."""
    return render_template("core/dashboard.html", panels=hooks.registry().render_panels(Page.DASHBOARD))


def dashboard_congresses() -> dict:
    """The dashboard card of the congresses and their rosters."""
    return {"congresses": db.session.scalars(select(Congress).order_by(Congress.id)).all()}


@bp.route("/me")
@deputy_required
def deputy_home():
    deputy = current_user.deputy
    items = [(s, s.is_checked_in(deputy.id)) for s in deputy.congress.sessions]
    panels = hooks.registry().render_panels(Page.DEPUTY_HOME)
    return render_template("core/deputy_home.html", deputy=deputy, sessions=items, panels=panels)


# --- Congresses and the roster -------------------------------------------------------


@bp.route("/congresses", methods=["GET", "POST"])
@staff_required
def congresses():
    form = CongressForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(select(Congress.id).where(Congress.name == name)):
            form.name.errors.append(_("已有同名的人民代表大会。"))
        else:
            congress = Congress(name=name)
            db.session.add(congress)
            db.session.flush()
            audit.record("congress.create", "congress", congress.id, {"name": name})
            db.session.commit()
            flash(_("已创建。"), "success")
            return redirect(url_for("core.congress", congress_id=congress.id))
    items = db.session.execute(
        select(Congress, func.count(Deputy.id))
        .outerjoin(Deputy, Deputy.congress_id == Congress.id)
        .group_by(Congress.id)
        .order_by(Congress.id)
    ).all()
    return render_template("core/congresses.html", items=items, form=form), form_status(form)


@bp.route("/congresses/<int:congress_id>")
@staff_required
def congress(congress_id: int):
    congress = db.get_or_404(Congress, congress_id)
    return render_template(
        "core/congress.html",
        congress=congress,
        session_form=SessionForm(),
        button=EmptyForm(),
        roster=roster_page(congress),
        roster_size=roster_size(congress),
    )


ROSTER_PAGE = 50


def roster_page(congress: Congress):
    """The roster, searched by code, name or delegation, a page at a time."""
    query = select(Deputy).where(Deputy.congress_id == congress.id).order_by(Deputy.code)
    return paginate(query, columns=(Deputy.code, Deputy.name, Deputy.delegation), per_page=ROSTER_PAGE)


def roster_size(congress: Congress) -> int:
    return db.session.scalar(select(func.count(Deputy.id)).where(Deputy.congress_id == congress.id)) or 0


@bp.route("/congresses/<int:congress_id>/import", methods=["GET", "POST"])
@staff_required
def roster_import(congress_id: int):
    congress = db.get_or_404(Congress, congress_id)
    form = RosterImportForm()
    if form.validate_on_submit():
        # The file is checked here, at once; the accounts (one password hash each) are
        # made by a background job whose page shows the progress (core.jobs).
        rows, errors = check_roster(congress, form.file.data.read())
        if errors:
            db.session.rollback()
            return (
                render_template("core/import.html", congress=congress, form=form, errors=errors),
                422,
            )
        held_id, key = held.reserve()
        db.session.commit()
        params = {
            "congress_id": congress.id,
            "rows": rows,
            "hold": (held_id, key),
            "back": url_for("core.congress", congress_id=congress.id),
        }
        return jobs.respond(jobs.start("roster_import", congress.name, params, total=len(rows)))
    return render_template("core/import.html", congress=congress, form=form, errors=[]), form_status(form)


@bp.route("/deputies/<int:deputy_id>/active", methods=["POST"])
@staff_required
def deputy_active(deputy_id: int):
    deputy = db.get_or_404(Deputy, deputy_id)
    form_or_fail(EmptyForm())
    deputy.active = not deputy.active
    if not deputy.active and deputy.user is not None:
        end_sessions(deputy.user)
    audit.record(
        "deputy.activate" if deputy.active else "deputy.deactivate",
        "deputy",
        deputy.id,
        on_behalf_of=deputy.code,
    )
    db.session.commit()
    flash(_("已更新代表 %(name)s 的状态。", name=deputy.name), "success")
    return redirect(url_for("core.congress", congress_id=deputy.congress_id))


@bp.route("/deputies/<int:deputy_id>/delete", methods=["POST"])
@staff_required
def deputy_delete(deputy_id: int):
    deputy = db.get_or_404(Deputy, deputy_id)
    form_or_fail(EmptyForm())
    congress_id, name = deputy.congress_id, deputy.name
    if not delete_deputy(deputy):
        db.session.rollback()
        fail(409, _("%(name)s 已参加过会议或投票，不能删除，只能停用。", name=name))
    db.session.commit()
    flash(_("已删除代表 %(name)s。", name=name), "success")
    return redirect(url_for("core.congress", congress_id=congress_id))


@bp.route("/deputies/<int:deputy_id>/password", methods=["POST"])
@staff_required
def deputy_reset_password(deputy_id: int):
    deputy = db.get_or_404(Deputy, deputy_id)
    form_or_fail(EmptyForm())
    if deputy.user is None:
        abort(400)
    password = generate_initial_password()
    deputy.user.password_hash = hash_password(password, initial=True)
    deputy.user.must_change_password = True
    end_sessions(deputy.user)  # whoever holds a session of the account is logged out
    audit.record("deputy.password_reset", "deputy", deputy.id, on_behalf_of=deputy.code)
    back = url_for("core.congress", congress_id=deputy.congress_id)
    held_id = held.hold_passwords(deputy.congress_id, [(deputy, password)], back)
    db.session.commit()
    return redirect(url_for("core.passwords", congress_id=deputy.congress_id, held_id=held_id), 303)


@bp.route("/congresses/<int:congress_id>/passwords/<held_id>")
@staff_required
def passwords(congress_id: int, held_id: str):
    """The initial passwords just made, for the staff member's browser until noted."""
    congress = db.get_or_404(Congress, congress_id)
    data = held.read("passwords", held_id)
    if data["congress_id"] != congress.id:
        abort(404)
    return held.page(
        render_template("core/passwords.html", congress=congress, rows=data["rows"], held_id=held_id, back=data["back"])
    )


@bp.route("/held/<held_id>/noted", methods=["POST"])
def held_noted(held_id: str):
    """The "我已记下" button: delete a held secret of this browser and go back."""
    form_or_fail(EmptyForm())
    if held.release(held_id):
        db.session.commit()
        flash(_("已删除，这些内容不再显示。"), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"), 303)


# --- Sessions and check-in -----------------------------------------------------------


@bp.route("/congresses/<int:congress_id>/sessions", methods=["POST"])
@staff_required
def session_create(congress_id: int):
    congress = db.get_or_404(Congress, congress_id)
    form = SessionForm()
    if not form.validate_on_submit():
        page = render_template(
            "core/congress.html",
            congress=congress,
            session_form=form,
            button=EmptyForm(),
            roster=roster_page(congress),
            roster_size=roster_size(congress),
        )
        return page, form_status(form)
    item = Session(
        congress=congress,
        name=form.name.data.strip(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
    )
    db.session.add(item)
    db.session.flush()
    audit.record("session.create", "session", item.id, {"name": item.name})
    db.session.commit()
    return redirect(url_for("core.session", session_id=item.id))


@bp.route("/sessions/<int:session_id>")
@staff_required
def session(session_id: int):
    item = db.get_or_404(Session, session_id)
    return render_template(
        "core/session.html",
        item=item,
        roster=sessions.roster_page(item, per_page=ROSTER_PAGE),
        button=EmptyForm(),
        code_form=StaffCheckinForm(),
        counts=sessions.counts(item),
    )


@bp.route("/sessions/<int:session_id>/counts.json")
@staff_required
def session_counts(session_id: int):
    return jsonify(sessions.counts(db.get_or_404(Session, session_id)))


@bp.route("/sessions/<int:session_id>/checkin", methods=["POST"])
@staff_required
def staff_checkin(session_id: int):
    """Staff check a deputy in by the roster button or by typing the deputy code."""
    item = db.get_or_404(Session, session_id)
    form = StaffCheckinForm()
    form_or_fail(form, _("请输入代表证号。"))
    deputy = db.session.scalar(
        select(Deputy).where(Deputy.congress_id == item.congress_id, Deputy.code == form.code.data.strip())
    )
    if deputy is None:
        fail(404, _("名册中没有代表证号 %(code)s。", code=form.code.data.strip()))
    if not sessions.check_in(item, deputy, method="staff", by=current_user):
        flash(_("%(name)s 已签到过。", name=deputy.name), "info")
    else:
        flash(_("%(name)s 签到成功。", name=deputy.name), "success")
    db.session.commit()
    # Back to the roster as the clerk was searching it (the deputy is on that page).
    back_q = (request.form.get("q") or "").strip()[:100] or None
    return redirect(url_for("core.session", session_id=item.id, q=back_q) + f"#d-{deputy.code}")


@bp.route("/sessions/<int:session_id>/qr.svg")
@staff_required
def session_qr(session_id: int):
    item = db.get_or_404(Session, session_id)
    url = url_for("core.qr_checkin", secret=item.checkin_secret, _external=True)
    return Response(sessions.qr_svg(url), mimetype="image/svg+xml")


@bp.route("/sessions/<int:session_id>/qr/renew", methods=["POST"])
@staff_required
def session_qr_renew(session_id: int):
    item = db.get_or_404(Session, session_id)
    form_or_fail(EmptyForm())
    sessions.renew_secret(item)
    audit.record("session.qr_renew", "session", item.id)
    db.session.commit()
    flash(_("签到二维码已更新，旧二维码失效。"), "success")
    return redirect(url_for("core.session", session_id=item.id))


@bp.route("/checkin/<secret>", methods=["GET", "POST"])
@deputy_required
def qr_checkin(secret: str):
    """The page a deputy reaches by scanning the hall's QR code."""
    item = db.first_or_404(select(Session).where(Session.checkin_secret == secret))
    deputy = current_user.deputy
    if item.congress_id != deputy.congress_id:
        abort(404)
    form = EmptyForm()
    if request.method == "POST":
        form_or_fail(form)
        if sessions.check_in(item, deputy, method="qr", by=current_user):
            flash(_("签到成功。"), "success")
        db.session.commit()
        return redirect(url_for("core.qr_checkin", secret=secret), 303)
    done = item.is_checked_in(deputy.id)
    return render_template("core/qr_checkin.html", item=item, deputy=deputy, form=form, done=done)


@bp.route("/audit")
@staff_required
def audit_log():
    page = bounded_int(request.args.get("page", 1, type=int)) or 1
    entries = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE).offset((page - 1) * AUDIT_PAGE)
    ).all()
    return render_template("core/audit.html", entries=entries, page=page, page_size=AUDIT_PAGE)


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links to."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=7 * 24 * 3600
    )


@bp.route("/robots.txt")
def robots():
    response = make_response("User-agent: *\nDisallow: /login\n")
    response.mimetype = "text/plain"
    return response
