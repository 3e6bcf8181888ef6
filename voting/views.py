"""Poll pages: the deputy's ballot, the public results, the verifier's page, staff."""

from __future__ import annotations

import base64
import io
import zipfile
from fractions import Fraction
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import held, jobs
from core.errors import fail
from core.forms import EmptyForm, form_or_fail
from core.i18n import select_locale
from core.permissions import deputy_required, staff_required
from core.sessions import qr_data_uri, qr_svg
from core.thresholds import pass_threshold, threshold_percent
from core.times import local_time
from extensions import db
from voting import charts, services
from voting.messages import message
from voting.models import Poll, PollState, PollVoter, TokenIssuance
from voting.protocol.tally import rate_percent
from voting.services.batches import batched

bp = Blueprint("voting", __name__)


# The verifier zip: the command and the pure ballot engine, whole.
VERIFIER_FILES = ("voting/__init__.py", "voting/verify.py", "voting/protocol/*.py")


def choice_labels() -> dict[str, str]:
    return {
        "yes": _("同意"),
        "no": _("不同意"),
        "abstain": _("弃权"),
        "satisfied": _("满意"),
        "basic": _("基本满意"),
        "dissatisfied": _("不满意"),
    }


def rules_text(manifest: dict) -> list[str]:
    """The counting rules in words, as stated on the results page."""
    rules = manifest["rules"]
    bases = {"electorate": _("全体代表（应到）"), "present": _("出席人数（实到）"), "cast": _("投票数")}
    if manifest["ballot"] == "approval":
        threshold = rules["threshold"]
        lines = [
            _(
                "以%(base)s为基数，同意票%(rule)s的项目通过。",
                base=bases[threshold["base"]],
                rule=pass_threshold(threshold["more_than"]),
            )
        ]
        if "seats" in rules:
            lines.append(_("应选 %(n)d 项，按同意票从高到低当选；最后一个名额同票时另行票决。", n=rules["seats"]))
        if "max_yes" in rules:
            lines.append(_("每张选票最多同意 %(n)d 项，多选的选票无法提交。", n=rules["max_yes"]))
        return lines
    lines = [
        _("满意率 =（满意 + 基本满意）÷ 有效票，弃权不计入有效票。"),
        _(
            "以%(base)s为基数：满意票超过半数评为“满意”；满意与基本满意合计超过半数评为“基本满意”；否则为“不满意”（恰好一半不够）。",
            base=bases[rules["grade_base"]],
        ),
    ]
    if "rectify_below" in rules:
        lines.append(_("满意率低于 %(rate)s 的项目列入整改。", rate=threshold_percent(rules["rectify_below"])))
    return lines


# --- Public ------------------------------------------------------------------------


@bp.route("/polls")
def results_index():
    return render_template("voting/index.html", polls=services.public_polls())


# A closed poll never changes: its public page (per language) and its results JSON
# are rendered once per process (per app) and served from there to anonymous readers.
def _published_cache() -> dict[tuple[str, str, str], tuple[str, bytes, str]]:
    return current_app.extensions.setdefault("yishi_published", {})


def _published(kind: str, public_id: str, render) -> Response:
    """Serve a closed poll's page or JSON from the cache, with ETag and Cache-Control.

    Logged-in users get a fresh render: their page carries their name and a CSRF token.
    """
    anonymous = not current_user.is_authenticated
    key = (kind, public_id, select_locale() if kind == "page" else "")
    cache = _published_cache()
    cached = cache.get(key) if anonymous else None
    if cached is None:
        poll = services.get_public_poll(public_id)
        if kind == "page" and not poll.is_closed:
            return Response(render(poll))  # an open poll's page: no cache
        body = render(poll)
        response = body if isinstance(body, Response) else Response(body)
        cached = (
            services.board_etag(poll) + ("-" + key[2] if key[2] else "") + "-" + kind,
            response.get_data(),
            response.mimetype,
        )
        # (rev 5) a board whose co-signatures may still arrive is rendered afresh.
        if anonymous and services.scrutineers.board_final(poll):
            cache[key] = cached
    etag, data, mimetype = cached
    response = Response(data, mimetype=mimetype)
    response.set_etag(etag)
    final = cache.get(key) is cached if anonymous else False
    response.headers["Cache-Control"] = (
        "public, max-age=300" if anonymous and final else "no-cache" if anonymous else "private, max-age=0"
    )
    response.vary.add("Cookie")
    return response.make_conditional(request)


@bp.route("/polls/<poll_id>")
def results(poll_id: str):
    def render(poll: Poll):
        if not poll.is_closed:
            return render_template(
                "voting/open.html",
                poll=poll,
                rules=rules_text(poll.manifest),
                counts=services.counts(poll),
                cast_as_of=services.published_as_of(),
                batch=batch_settings(poll),
            )
        view = services.results_view(poll)
        return render_template(
            "voting/results.html",
            poll=poll,
            view=view,
            rules=rules_text(poll.manifest),
            chart=_chart(view),
            labels=choice_labels(),
            rate_percent=rate_percent,
        )

    return _published("page", poll_id, render)


@bp.route("/polls/<poll_id>/turnout.json")
def turnout_json(poll_id: str):
    """An open (or closed) poll's turnout for its public page: 应到, 实到 and 凭证已领
    live, the count of cast ballots as published (protocol revision 5)."""
    poll = services.get_public_poll(poll_id)
    c = services.counts(poll)
    data = {"electorate": c.electorate, "present": c.present, "cast": c.cast, "cast_as_of": cast_as_of_text(poll)}
    if poll.secrecy == "secret":
        data["issued"] = c.issued
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/polls/<poll_id>/results.json")
def results_json(poll_id: str):
    return _published("json", poll_id, lambda poll: jsonify(services.results_view(poll)))


def _chart(view: dict):
    result = view["result"]
    titles = {o["id"]: o["title"] for o in view["options"]}
    if view["ballot"] == "approval":
        keys = ["yes", "no", "abstain"]
        threshold = view["rules"]["threshold"]
        num, den = (int(x) for x in threshold["more_than"].split("/"))
        line = float(Fraction(num, den) * result["base"])
        words = charts.threshold_words(threshold["more_than"])
    else:
        keys = ["satisfied", "basic", "dissatisfied", "abstain"]
        line = result["base"] / 2
        words = charts.threshold_words("1/2")
    rows = [dict(label=titles[o["id"]], **{k: o[k] for k in keys}) for o in result["options"]]
    return charts.stacked_bars(
        view["title"],
        rows,
        keys,
        choice_labels(),
        total=max(result["cast"], result["base"], 1),
        threshold=line,
        threshold_label=words,
    )


@bp.route("/verify")
def verify_help():
    closed = services.public_polls(limit=20, state=PollState.CLOSED)
    return render_template("voting/verify.html", polls=closed)


@bp.route("/verify/yishi-verify.zip")
def verifier_zip():
    """The verifier and the pure modules it imports, nothing else of the site."""
    root = Path(__file__).resolve().parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for pattern in VERIFIER_FILES:
            for path in sorted(root.parent.glob(pattern)):
                archive.write(path, f"yishi-verify/{path.relative_to(root.parent).as_posix()}")
        archive.writestr("yishi-verify/requirements.txt", "cryptography>=42\nrfc8785>=0.1.4\n")
        archive.writestr("yishi-verify/README.txt", _verifier_readme())
    response = Response(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="yishi-verify.zip"'
    return response


def _verifier_readme() -> str:
    return (
        "Yishi ballot verifier (yishi-ballot/1)\n\n"
        "  pip install -r requirements.txt\n"
        "  python -m voting.verify BOARD.json [--receipt R.json ...] [--ballot B.json ...] "
        "[--fingerprint HEX16]\n\n"
        "Exit status 0: every check holds; 1: a check failed; 2: a file could not be read.\n"
    )


# --- The deputy's ballot -----------------------------------------------------------


@bp.route("/polls/<poll_id>/vote")
@deputy_required
def ballot_page(poll_id: str):
    poll = services.get_public_poll(poll_id)
    voter = db.session.scalar(
        select(PollVoter).where(PollVoter.poll_id == poll.id, PollVoter.deputy_id == current_user.deputy_id)
    )
    if voter is None:
        fail(403, message("not_in_register"))
    checked_in = poll.session is None or poll.session.is_checked_in(current_user.deputy_id)
    lost_reported_at = None
    if poll.secrecy == "secret":
        lost_reported_at = db.session.scalar(
            select(TokenIssuance.lost_reported_at).where(
                TokenIssuance.poll_id == poll.id, TokenIssuance.voter_id == voter.id
            )
        )
    return render_template(
        "voting/ballot.html",
        poll=poll,
        voter=voter,
        checked_in=checked_in,
        labels=choice_labels(),
        rules=rules_text(poll.manifest),
        lost_reported_at=lost_reported_at,
        button=EmptyForm(),
    )


@bp.route("/polls/<poll_id>/vote/lost-token", methods=["POST"])
@deputy_required
def report_lost_token(poll_id: str):
    """The deputy says the browser that took their token is lost to them: recorded
    for the staff's list and the minutes (the server cannot know it otherwise)."""
    poll = services.get_public_poll(poll_id)
    form_or_fail(EmptyForm())
    services.report_lost_token(poll, current_user.deputy_id)
    db.session.commit()
    flash(_("已记录：您无法用已领取的凭证投票。请同时告诉会场的工作人员。"), "success")
    return redirect(url_for("voting.ballot_page", poll_id=poll.public_id))


def cast_as_of_text(poll: Poll) -> str:
    """ "as of 09:30:00" for a count of cast ballots while the poll is open (it is the
    log at the last 30-second boundary); empty once the count is final."""
    if not poll.is_open:
        return ""
    return _("截至 %(time)s", time=local_time(services.published_as_of(), "%H:%M:%S", named=False))


def batch_settings(poll: Poll) -> dict | None:
    """The server's batch setting, shown on a batched poll's pages (protocol revision 5)."""
    if not batched(poll.secrecy):
        return None
    cfg = current_app.config
    return {
        "seconds": f"{cfg['YISHI_BATCH_SECONDS']:g}",
        "least": cfg["YISHI_BATCH_MIN"],
        "longest": f"{cfg['YISHI_BATCH_MAX_SECONDS']:g}",
    }


# --- One-time code slips (staff) -----------------------------------------------------


def slips_response(kind: str, payload: dict, base: str, label: str, endpoint: str, **values) -> Response:
    """Hold a batch of new codes (``payload["codes"]``) for this browser and answer the
    POST that made them (it commits): straight to the slips page (``endpoint`` with
    ``values`` and ``held_id``), or, for more than ``YISHI_SLIPS_JOB_OVER`` codes, to a
    job that draws their QR codes first (one is ~25 ms) and seals them with the codes
    in the hold, so that the slips page shows them without drawing them again.

    The codes go to the job in memory only (with the hold's key); the tables already
    hold their hashes. If the server stops mid-job, generating the batch again
    replaces it."""
    if len(payload["codes"]) <= current_app.config["YISHI_SLIPS_JOB_OVER"]:
        held_id = held.hold(kind, payload)
        db.session.commit()
        return redirect(url_for(endpoint, held_id=held_id, **values), 303)
    held_id, key = held.reserve()
    db.session.commit()
    params = {
        "hold": (held_id, key),
        "kind": kind,
        "payload": payload,
        "base": base,
        "next": url_for(endpoint, held_id=held_id, **values),
    }
    return jobs.respond(jobs.start("code_slips", label, params, total=len(payload["codes"])))


def slip_url(base: str, code: str) -> str:
    # The code rides in the fragment, which browsers never send to the server.
    return f"{base}#code={code}"


def run_slips_job(job, params: dict, progress) -> dict:
    """The slips job (``core.jobs``): draw each code's QR code, then seal them with the
    codes for the browser that made the batch (the hold it reserved)."""
    codes = params["payload"]["codes"]
    images: list[str] = []
    for done, code in enumerate(codes, 1):
        images.append(qr_svg(slip_url(params["base"], code), scale=4))
        progress(done, len(codes))
    held_id, key = params["hold"]
    held.seal(held_id, key, params["kind"], {**params["payload"], "qr": images})
    db.session.commit()
    return {
        "summary": _("已为 %(n)d 个一次性码画好二维码纸条。", n=len(codes)),
        "next": params["next"],
        "next_label": _("查看并打印纸条"),
    }


def slip_images(data: dict, base: str) -> list[tuple[str, str]]:
    """(code, QR code as a data: URI) for each code of a held batch: drawn by the job
    when it was large, else drawn now."""
    drawn = data.get("qr")
    if drawn and len(drawn) == len(data["codes"]):
        uris = ("data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() for svg in drawn)
    else:
        uris = (qr_data_uri(slip_url(base, code)) for code in data["codes"])
    return list(zip(data["codes"], uris, strict=True))


@bp.route("/staff/polls/<int:poll_id>/codes/<held_id>")
@staff_required
def code_slips(poll_id: int, held_id: str):
    """The slips of a batch just made, for the staff member's browser until noted."""
    poll = db.get_or_404(Poll, poll_id)
    data = held.read("codes", held_id)
    if data["poll_id"] != poll.id:
        abort(404)
    base = url_for("voting.code_ballot_page", poll_id=poll.public_id, _external=True)
    html = render_template(
        "voting/code_slips.html",
        poll=poll,
        slips=slip_images(data, base),
        base=base,
        held_id=held_id,
        back=data["back"],
    )
    return held.page(html)


@bp.route("/polls/<poll_id>/code")
def code_ballot_page(poll_id: str):
    """The public ballot of a code poll: anyone holding a one-time code may vote."""
    poll = services.get_public_poll(poll_id)
    if poll.secrecy != "code":
        abort(404)
    return render_template(
        "voting/ballot.html",
        poll=poll,
        voter=None,
        checked_in=True,
        labels=choice_labels(),
        rules=rules_text(poll.manifest),
    )
