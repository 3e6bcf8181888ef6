"""Standing committees, assessments and their subjects of four kinds, with report
files checked before they are written."""

from __future__ import annotations

import re
import secrets
from fractions import Fraction
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from assessments.models import (
    BODY_TYPES,
    RATERS,
    Assessment,
    AssessmentSubject,
    DeputySuggestion,
    StandingCommittee,
)
from assessments.services.common import MAX_PDF_BYTES, MAX_SUBJECTS, PDF_MAGIC, URL_RE, AssessmentError
from core import audit
from core.models import Congress, Session
from extensions import db

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
        raise AssessmentError(422, _("整改线：须为 1 到 100 之间的整数（百分比）。"))
    f = Fraction(percent, 100)
    return f"{f.numerator}/{f.denominator}"


def threshold_percent(fraction: str | None) -> int | None:
    """The stored threshold ("4/5") as the percent staff typed (80)."""
    if not fraction:
        return None
    value = Fraction(fraction) * 100
    return int(value) if value.denominator == 1 else round(float(value))


def _checked_fields(
    *, title: str, year: int, raters: str, session: Session | None, grade_base: str, rectify_below: str | None
) -> dict:
    """The fields of an assessment, checked; each refusal names the field on the form."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise AssessmentError(422, _("测评名称：不能为空，最多 200 字。"))
    if raters not in RATERS:
        raise AssessmentError(422, _("测评人：请从列表中选择。"))
    if grade_base not in ("electorate", "present", "cast"):
        raise AssessmentError(422, _("计算基数：请从列表中选择。"))
    if year is None or not 2000 <= year <= 2100:
        raise AssessmentError(422, _("年度：须为 2000 到 2100 之间的年份。"))
    if rectify_below is not None and not re.fullmatch(r"[1-9][0-9]*/[1-9][0-9]*", rectify_below):
        raise AssessmentError(422, _("整改线：须为 1 到 100 之间的整数（百分比）。"))
    if raters == "public":
        if session is not None:
            raise AssessmentError(422, _("会议：公众测评码测评不属于会议，请选择“不属于会议”。"))
    else:
        if session is None:
            raise AssessmentError(422, _("会议：代表或常委会组成人员测评须选择一次会议。"))
        in_committee = session.congress_id in committee_congress_ids()
        if raters == "committee" and not in_committee:
            raise AssessmentError(422, _("会议：常委会组成人员测评须选择常委会会议。"))
        if raters == "deputies" and in_committee:
            raise AssessmentError(422, _("会议：代表测评须选择人民代表大会会议，而不是常委会会议。"))
    return {
        "title": title,
        "year": year,
        "raters": raters,
        "session": session,
        "grade_base": grade_base,
        "rectify_below": rectify_below,
    }


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
    fields = _checked_fields(
        title=title, year=year, raters=raters, session=session, grade_base=grade_base, rectify_below=rectify_below
    )
    assessment = Assessment(**fields)
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "assessment.create",
        "assessment",
        assessment.id,
        {"title": fields["title"], "raters": raters, "grade_base": grade_base, "rectify_below": rectify_below},
    )
    return assessment


def _refuse_once_started(assessment: Assessment, message: str) -> None:
    if assessment.has_started:
        raise AssessmentError(409, message)


def _discard_draft_ballot(assessment: Assessment) -> bool:
    """Undo ``prepare_ballot`` before the opening: the draft poll and its code batch
    go (the codes printed are void). True when there was one."""
    from voting.models import PollCode

    poll = assessment.poll
    if poll is None:
        return False
    if not poll.is_draft:  # never reached: callers refuse a started assessment first
        raise AssessmentError(409, _("测评已经开始，不能再修改。"))
    db.session.execute(delete(PollCode).where(PollCode.poll_id == poll.id))
    assessment.poll = None
    db.session.flush()
    db.session.delete(poll)
    db.session.flush()
    return True


def update_assessment(assessment: Assessment, **values) -> bool:
    """Edit an assessment until it opens; True when a code batch was voided (the ballot
    is fixed again, with the new title and rules, when codes are made or it opens)."""
    _refuse_once_started(assessment, _("测评已经开始，不能再修改；结束后可发起再次测评。"))
    fields = _checked_fields(**values)
    changed = sorted(k for k, v in fields.items() if getattr(assessment, k) != v)
    voided = _discard_draft_ballot(assessment) if changed else False
    for key, value in fields.items():
        setattr(assessment, key, value)
    db.session.flush()
    audit.record("assessment.update", "assessment", assessment.id, {"changed": changed, "codes_voided": voided})
    return voided


def delete_assessment(assessment: Assessment) -> None:
    """Delete an assessment that has not opened, with its subjects and their files."""
    from assessments.models import Rectification

    _refuse_once_started(assessment, _("测评已经开始，不能删除。"))
    audit.record("assessment.delete", "assessment", assessment.id, {"title": assessment.title})
    _discard_draft_ballot(assessment)
    source = db.session.scalar(select(Rectification).where(Rectification.reassessment_id == assessment.id))
    if source is not None:  # a reassessment: the rectification may start another one
        source.reassessment = None
    files = [s.document_file for s in assessment.subjects]
    for subject in list(assessment.subjects):
        db.session.delete(subject)
    db.session.flush()
    db.session.delete(assessment)
    db.session.flush()
    for name in files:
        _remove_file(name)


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
