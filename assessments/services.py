"""The rules of satisfaction assessments: who rates, which subjects, the one
satisfaction ballot on the engine, and the consequences of its result.

Services flush but never commit; only closing a poll commits, inside the engine,
and the rectification items follow it in the caller's transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from assessments.models import (
    BODY_TYPES,
    RATERS,
    Assessment,
    AssessmentSubject,
    DeputySuggestion,
    Rectification,
    RectificationState,
    StandingCommittee,
)
from core import audit
from core.errors import DomainError
from core.models import Congress, Session, utcnow
from core.times import local_today
from extensions import db
from voting import services as polls
from voting import specs
from voting.models import Poll, PollState
from voting.protocol.tally import rate_percent

PDF_MAGIC = b"%PDF-"
MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_SUBJECTS = 30
RECTIFY_DAYS = 90  # default time to rectify; staff may change the due date
URL_RE = re.compile(r"^https?://[^\s<>\"']{3,490}$")


class AssessmentError(DomainError):
    """A refused request, with its HTTP status and a translated message."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)


# --- Standing committees --------------------------------------------------------------


def create_committee(name: str) -> StandingCommittee:
    """A standing committee with an empty roster (a ``Congress`` row of its own)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise AssessmentError(422, _("常委会名称不能为空且不超过 120 字。"))
    if db.session.scalar(select(Congress.id).where(Congress.name == name)) is not None:
        raise AssessmentError(409, _("已有同名的人民代表大会或常委会。"))
    congress = Congress(name=name)
    committee = StandingCommittee(congress=congress)
    db.session.add_all([congress, committee])
    db.session.flush()
    audit.record("committee.create", "committee", committee.id, {"name": name})
    return committee


def committee_congress_ids() -> set[int]:
    return set(db.session.scalars(select(StandingCommittee.congress_id)))


# --- Assessments and subjects ---------------------------------------------------------


def parse_threshold(percent: int | None) -> str | None:
    """A rectification threshold in percent (1–100) as the protocol's fraction."""
    if percent is None:
        return None
    if not 1 <= percent <= 100:
        raise AssessmentError(422, _("整改线须在 1% 到 100% 之间。"))
    f = Fraction(percent, 100)
    return f"{f.numerator}/{f.denominator}"


def create_assessment(
    *,
    title: str,
    year: int,
    raters: str,
    session: Session | None,
    grade_base: str = "electorate",
    rectify_below: str | None = None,
) -> Assessment:
    """A draft assessment; subjects are added before the ballot is fixed."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise AssessmentError(422, _("标题不能为空且不超过 200 字。"))
    if raters not in RATERS:
        raise AssessmentError(422, _("请选择测评人。"))
    if grade_base not in ("electorate", "present", "cast"):
        raise AssessmentError(422, _("请选择计算基数。"))
    if not 2000 <= year <= 2100:
        raise AssessmentError(422, _("年度不正确。"))
    if rectify_below is not None and not re.fullmatch(r"[1-9][0-9]*/[1-9][0-9]*", rectify_below):
        raise AssessmentError(422, _("整改线格式不正确。"))
    if raters == "public":
        if session is not None:
            raise AssessmentError(422, _("公众测评码测评不属于会议，请不要选择会议。"))
    else:
        if session is None:
            raise AssessmentError(422, _("代表或常委会组成人员测评须选择一次会议。"))
        in_committee = session.congress_id in committee_congress_ids()
        if raters == "committee" and not in_committee:
            raise AssessmentError(422, _("常委会组成人员测评须选择常委会会议。"))
        if raters == "deputies" and in_committee:
            raise AssessmentError(422, _("代表测评须选择人民代表大会会议，而不是常委会会议。"))
    assessment = Assessment(
        title=title, year=year, raters=raters, session=session, grade_base=grade_base, rectify_below=rectify_below
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "assessment.create",
        "assessment",
        assessment.id,
        {"title": title, "raters": raters, "grade_base": grade_base, "rectify_below": rectify_below},
    )
    return assessment


def _upload_dir() -> Path:
    path = Path(current_app.config["YISHI_UPLOAD_DIR"]) / "assessments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def document_path(subject: AssessmentSubject) -> Path | None:
    if not subject.document_file:
        return None
    return _upload_dir() / subject.document_file


def check_pdf(data: bytes) -> None:
    if not data:
        raise AssessmentError(422, _("上传的文件是空的。"))
    if len(data) > MAX_PDF_BYTES:
        raise AssessmentError(413, _("PDF 文件不能超过 %(mb)d MB。", mb=MAX_PDF_BYTES // (1024 * 1024)))
    if not data.startswith(PDF_MAGIC):
        raise AssessmentError(422, _("只能上传 PDF 文件（文件内容不是 PDF）。"))


def _store_pdf(data: bytes) -> str:
    name = secrets.token_hex(16) + ".pdf"
    (_upload_dir() / name).write_bytes(data)
    return name


def add_subject(
    assessment: Assessment,
    *,
    kind: str,
    title: str,
    description: str = "",
    body_type: str | None = None,
    body_name: str | None = None,
    document: tuple[bytes, str] | None = None,
    document_url: str | None = None,
    suggestion: DeputySuggestion | None = None,
    project_id: int | None = None,
) -> AssessmentSubject:
    """Add a subject to a draft assessment. ``document`` is (PDF bytes, file name).

    Everything is checked before the row is made and the file written, so a refused
    subject leaves nothing behind. What a kind needs is checked by its own function in
    ``_SUBJECT_KINDS``; a description, a file and a link may come with any kind.
    """
    _check_room_for_subject(assessment)
    check_kind = _SUBJECT_KINDS.get(kind)
    if check_kind is None:
        raise AssessmentError(422, _("测评对象类型不正确。"))
    fields = {
        "kind": kind,
        "title": (title or "").strip(),
        "description": (description or "").strip(),
        "body_name": (body_name or "").strip() or None,
        "document_url": (document_url or "").strip() or None,
    }
    check_kind(fields, body_type=body_type, document=document, suggestion=suggestion, project_id=project_id)
    if not fields["title"] or len(fields["title"]) > 200:
        raise AssessmentError(422, _("测评对象名称不能为空且不超过 200 字。"))
    if fields["document_url"] is not None and not URL_RE.match(fields["document_url"]):
        raise AssessmentError(422, _("报告链接须以 http:// 或 https:// 开头。"))
    if document is not None:
        check_pdf(document[0])
    return _store_subject(assessment, fields, document)


def _check_room_for_subject(assessment: Assessment) -> None:
    if not assessment.is_draft:
        raise AssessmentError(409, _("选票已经确定，不能再修改测评对象。"))
    if len(assessment.subjects) >= MAX_SUBJECTS:
        raise AssessmentError(422, _("一次测评最多 %(n)d 个测评对象。", n=MAX_SUBJECTS))


def _free_subject(fields: dict, **_details) -> None:
    """A subject with a title only."""


def _work_report_subject(fields: dict, *, body_type, document, **_details) -> None:
    """专项工作报告: the reporting body and the report itself are required."""
    if body_type not in BODY_TYPES or not fields["body_name"]:
        raise AssessmentError(422, _("专项工作报告须写明报告机关（政府、监委、法院、检察院或部门）。"))
    if document is None and fields["document_url"] is None:
        raise AssessmentError(422, _("专项工作报告须上传报告文件（PDF）或填写报告链接。"))
    fields["body_type"] = body_type


def _suggestion_subject(fields: dict, *, suggestion, **_details) -> None:
    """The handling of a deputy's suggestion that has had its reply."""
    if suggestion is None:
        raise AssessmentError(422, _("请选择要测评的代表建议。"))
    if not suggestion.replies:
        raise AssessmentError(422, _("这件代表建议还没有答复，不能测评其办理情况。"))
    fields["title"] = fields["title"] or _("“%(t)s”的办理", t=suggestion.title)[:200]
    fields["suggestion"] = suggestion


def _project_subject(fields: dict, *, project_id, **_details) -> None:
    """A livelihood project, under its own title unless another is given."""
    from projects.models import Project

    project = db.session.get(Project, project_id) if project_id is not None else None
    if project is None:
        raise AssessmentError(422, _("请选择要测评的民生实事项目。"))
    fields["title"] = fields["title"] or project.title
    fields["project_id"] = project_id


_SUBJECT_KINDS = {
    "free": _free_subject,
    "work_report": _work_report_subject,
    "suggestion": _suggestion_subject,
    "project": _project_subject,
}


def _store_subject(assessment: Assessment, fields: dict, document: tuple[bytes, str] | None) -> AssessmentSubject:
    """The checked subject, placed last; its file is written, and removed again if the
    row is refused."""
    position = max((s.position for s in assessment.subjects), default=0) + 1
    subject = AssessmentSubject(assessment=assessment, position=position, **fields)
    if document is not None:
        subject.document_file = _store_pdf(document[0])
        subject.document_name = (document[1] or "report.pdf")[-200:]
    db.session.add(subject)
    try:
        db.session.flush()
    except Exception:
        _remove_file(subject.document_file)
        raise
    audit.record(
        "assessment.subject_add",
        "assessment",
        assessment.id,
        {"subject": subject.id, "kind": subject.kind, "title": subject.title},
    )
    return subject


def _remove_file(name: str | None) -> None:
    if name:
        (_upload_dir() / name).unlink(missing_ok=True)


def remove_subject(subject: AssessmentSubject) -> None:
    assessment = subject.assessment
    if not assessment.is_draft:
        raise AssessmentError(409, _("选票已经确定，不能再修改测评对象。"))
    audit.record(
        "assessment.subject_remove", "assessment", assessment.id, {"subject": subject.id, "title": subject.title}
    )
    name = subject.document_file
    assessment.subjects.remove(subject)
    db.session.delete(subject)
    db.session.flush()
    _remove_file(name)


def _poll_id(assessment: Assessment) -> str:
    return f"ceping-{assessment.year}-{assessment.id}-{secrets.token_hex(3)}"


def prepare_ballot(assessment: Assessment) -> Poll:
    """Fix the ballot: one satisfaction poll, one option per subject (draft poll)."""
    if assessment.poll is not None:
        return assessment.poll
    if not assessment.subjects:
        raise AssessmentError(422, _("测评至少要有一个测评对象。"))
    poll = polls.create_poll(
        public_id=_poll_id(assessment),
        title=assessment.title,
        ballot="satisfaction",
        secrecy="code" if assessment.raters == "public" else "secret",
        session=assessment.session,
        options=[(s.option_id, s.title) for s in assessment.subjects],
        poll_rules=specs.build_rules(
            "satisfaction", base=assessment.grade_base, rectify_below=assessment.rectify_below
        ),
        purpose="assessment",
    ).poll
    assessment.poll = poll
    db.session.flush()
    audit.record("assessment.ballot", "assessment", assessment.id, {"poll": poll.public_id})
    return poll


def generate_codes(assessment: Assessment, count: int) -> list[str]:
    """A batch of one-time codes for a public assessment, returned once; a new batch
    voids the previous one. Only before the assessment opens."""
    if assessment.raters != "public":
        raise AssessmentError(422, _("只有公众测评使用测评码。"))
    if assessment.has_started:
        raise AssessmentError(409, _("测评已经开始，不能再生成测评码。"))
    if not 1 <= count <= 5000:
        raise AssessmentError(422, _("每批测评码数量须在 1 到 5000 之间。"))
    poll = prepare_ballot(assessment)
    codes = polls.generate_codes(poll, count)
    audit.record("assessment.codes", "assessment", assessment.id, {"count": count})
    return codes


def open_assessment(assessment: Assessment) -> None:
    """Open the assessment's poll (the caller commits)."""
    if assessment.has_started:
        raise AssessmentError(409, _("测评已经开始或已经结束。"))
    poll = prepare_ballot(assessment)
    polls.open_poll(poll)
    audit.record("assessment.open", "assessment", assessment.id, {"poll": poll.public_id})


def close_assessment(assessment: Assessment, today: date | None = None) -> list[Rectification]:
    """Close the poll (the engine commits that), then add the rectification items
    (the caller commits them; ``apply_consequences`` may be run again safely)."""
    if not assessment.is_open:
        raise AssessmentError(409, _("只有正在进行的测评才能结束。"))
    polls.close_poll(assessment.poll)
    items = apply_consequences(assessment, today or local_today())
    audit.record("assessment.close", "assessment", assessment.id, {"rectifications": [r.subject_id for r in items]})
    return items


def rectification_reason(option: dict) -> str | None:
    """Why a subject's result calls for rectification, or None."""
    if option["grade"] == "dissatisfied":
        return "dissatisfied"
    if option["grade"] == "basic":
        return "basic"
    if option["rectify"]:
        return "below_threshold"
    return None


def apply_consequences(assessment: Assessment, today: date) -> list[Rectification]:
    """A rectification item for each subject graded 基本满意 / 不满意 or under the
    threshold; idempotent (one item per subject, by constraint)."""
    poll = assessment.poll
    if poll is None or not poll.is_closed:
        return []
    by_option = {o["id"]: o for o in poll.result["options"]}
    created = []
    for subject in assessment.subjects:
        reason = rectification_reason(by_option[subject.option_id])
        if reason is None or subject.rectification is not None:
            continue
        item = Rectification(
            subject=subject,
            reason=reason,
            responsible=(subject.responsible or _("待明确"))[:120],
            due_on=today + timedelta(days=RECTIFY_DAYS),
            state=RectificationState.OPEN,
        )
        db.session.add(item)
        db.session.flush()
        audit.record("rectification.create", "rectification", item.id, {"subject": subject.id, "reason": reason})
        created.append(item)
    return created


# --- Rectification --------------------------------------------------------------------


def update_rectification(item: Rectification, *, responsible: str, due_on: date) -> None:
    if item.is_closed:
        raise AssessmentError(409, _("整改事项已销号，不能再修改。"))
    responsible = responsible.strip()
    if not responsible or len(responsible) > 120:
        raise AssessmentError(422, _("责任单位不能为空且不超过 120 字。"))
    item.responsible = responsible
    item.due_on = due_on
    audit.record(
        "rectification.update", "rectification", item.id, {"responsible": responsible, "due_on": due_on.isoformat()}
    )


def report_follow_up(item: Rectification, text: str, today: date) -> None:
    """The responsible body's follow-up report (整改情况报告)."""
    if item.is_closed:
        raise AssessmentError(409, _("整改事项已销号。"))
    text = (text or "").strip()
    if not text:
        raise AssessmentError(422, _("请填写整改情况报告。"))
    item.follow_up = text
    item.reported_on = today
    item.state = RectificationState.REPORTED
    audit.record("rectification.report", "rectification", item.id, {"length": len(text)})


def close_rectification(item: Rectification) -> None:
    if not item.is_reported:
        raise AssessmentError(409, _("须先报告整改情况，才能销号。"))
    item.state = RectificationState.CLOSED
    item.closed_at = utcnow()
    audit.record("rectification.close", "rectification", item.id)


def start_reassessment(
    item: Rectification, *, raters: str, session: Session | None, title: str | None = None, year: int | None = None
) -> Assessment:
    """A 不满意 subject is assessed again after its follow-up report (再次测评)."""
    if item.reason != "dissatisfied":
        raise AssessmentError(409, _("只有评定为不满意的事项需要再次测评。"))
    if item.is_open:
        raise AssessmentError(409, _("须先报告整改情况，才能再次测评。"))
    if item.reassessment_id is not None:
        raise AssessmentError(409, _("已经发起过再次测评。"))
    old = item.subject
    source = old.assessment
    again = create_assessment(
        title=title or _("%(t)s（再次测评）", t=source.title)[:200],
        year=year or local_today().year,
        raters=raters,
        session=session,
        grade_base=source.grade_base,
        rectify_below=source.rectify_below,
    )
    document = None
    path = document_path(old)
    if path is not None and path.exists():
        document = (path.read_bytes(), old.document_name or "report.pdf")
    add_subject(
        again,
        kind=old.kind,
        title=old.title,
        description=item.follow_up or old.description,
        body_type=old.body_type,
        body_name=old.body_name,
        document=document,
        document_url=old.document_url,
        suggestion=old.suggestion,
        project_id=old.project_id,
    )
    item.reassessment = again
    audit.record("rectification.reassess", "rectification", item.id, {"assessment": again.id})
    return again


def open_rectifications() -> list[Rectification]:
    """What the public list shows: every item not yet closed."""
    return list(
        db.session.scalars(
            select(Rectification)
            .where(Rectification.state != RectificationState.CLOSED)
            .order_by(Rectification.due_on, Rectification.id)
        )
    )


# --- Results --------------------------------------------------------------------------


@dataclass
class SubjectResult:
    subject: AssessmentSubject
    counts: dict
    rate: str
    rate_percent: str
    grade: str | None
    rectify: bool
    rectification: Rectification | None


def results(assessment: Assessment) -> dict | None:
    """The closed assessment's result per subject, from the engine's own result."""
    poll = assessment.poll
    if poll is None or not poll.is_closed:
        return None
    view = polls.results_view(poll)
    by_option = {o["id"]: o for o in view["result"]["options"]}
    rows = []
    for subject in assessment.subjects:
        o = by_option[subject.option_id]
        rows.append(
            SubjectResult(
                subject=subject,
                counts={k: o[k] for k in ("satisfied", "basic", "dissatisfied", "abstain")},
                rate=o["rate"],
                rate_percent=rate_percent(o["rate"]),
                grade=o["grade"],
                rectify=o["rectify"],
                rectification=subject.rectification,
            )
        )
    return {"view": view, "rows": rows}


def public_assessments(year: int | None = None) -> list[Assessment]:
    """Assessments whose poll has opened (drafts are not public)."""
    query = (
        select(Assessment)
        .join(Poll, Poll.id == Assessment.poll_id)
        .where(Poll.state != PollState.DRAFT)
        .order_by(Assessment.year.desc(), Assessment.id.desc())
    )
    if year is not None:
        query = query.where(Assessment.year == year)
    return list(db.session.scalars(query))


def public_years() -> list[int]:
    return sorted({a.year for a in public_assessments()}, reverse=True)


def year_overview(year: int) -> dict:
    """The year's closed assessments: each subject's rate and grade, and turnout."""
    closed = [a for a in public_assessments(year) if a.is_closed]
    subjects, turnout = [], []
    grades = {"satisfied": 0, "basic": 0, "dissatisfied": 0, None: 0}
    for a in closed:
        res = results(a)
        t = res["view"]["turnout"]
        turnout.append({"assessment": a, "electorate": t["electorate"], "present": t["present"], "cast": t["cast"]})
        for row in res["rows"]:
            subjects.append({"assessment": a, "row": row})
            grades[row.grade] += 1
    return {
        "year": year,
        "assessments": closed,
        "subjects": subjects,
        "turnout": turnout,
        "grades": grades,
        "open": [a for a in public_assessments(year) if a.is_open],
    }


def staff_assessments() -> list[Assessment]:
    return list(db.session.scalars(select(Assessment).order_by(Assessment.id.desc())))


def rectification_counts() -> dict[str, int]:
    rows = db.session.execute(select(Rectification.state, func.count()).group_by(Rectification.state))
    return {state: n for state, n in rows}
