"""Process supervision (过程监督): monitoring groups, progress reports with photos,
inspection notes, rectification items, and the public progress board."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.models import Deputy, User, utcnow
from core.uploads import ImageRefused, reencode_image
from extensions import db
from projects.models import (
    InspectionNote,
    MonitoringMember,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectStatus,
    RectificationItem,
    RectificationItemStatus,
)
from projects.services import CycleError

MAX_PHOTOS = 6
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


# --- Who may do what -------------------------------------------------------------------


def can_report(user, project: Project) -> bool:
    """Staff, or an account of the project's own lead unit."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return user.role == "lead_unit" and user.lead_unit_id == project.lead_unit_id


def is_member(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False) or user.deputy_id is None:
        return False
    return any(m.deputy_id == user.deputy_id for m in project.members)


def check_member(project: Project, deputy_id: int | None) -> None:
    """Refuse (403) anyone but a deputy of the project's monitoring group: only they
    write inspection notes."""
    if deputy_id is None or not any(m.deputy_id == deputy_id for m in project.members):
        raise CycleError(403, _("只有监督小组的代表才能提交视察记录。"))


def check_reportable(project: Project) -> None:
    """Refuse (409) a progress report on a project that was not elected."""
    if not project.is_elected:
        raise CycleError(409, _("只有当选项目才报送进度。"))


# --- Monitoring group ------------------------------------------------------------------


def add_member(project: Project, deputy: Deputy | None, *, leader: bool = False) -> MonitoringMember:
    if not project.is_elected:
        raise CycleError(409, _("只有当选项目才设监督小组。"))
    if deputy is None:
        raise CycleError(404, _("找不到这位代表，请检查代表证号。"))
    if any(m.deputy_id == deputy.id for m in project.members):
        raise CycleError(409, _("%(name)s 已在监督小组中。", name=deputy.name))
    member = MonitoringMember(project=project, deputy=deputy, is_leader=leader)
    db.session.add(member)
    db.session.flush()
    audit.record("projects.member.add", "project", project.id, {"deputy": deputy.code, "leader": leader})
    return member


def remove_member(member: MonitoringMember) -> None:
    audit.record("projects.member.remove", "project", member.project_id, {"deputy": member.deputy.code})
    db.session.delete(member)
    db.session.flush()


# --- Photos ----------------------------------------------------------------------------


@dataclass
class Photo:
    """A checked upload, not yet written."""

    data: bytes
    content_type: str
    filename: str


def max_photo_bytes() -> int:
    return current_app.config["YISHI_MAX_PHOTO_BYTES"]


def check_photos(files) -> list[Photo]:
    """Read, check and re-encode uploaded files (``core.uploads``: decoded by Pillow, the
    metadata and anything else but the pixels dropped, the size bounded); refuses the lot
    on any bad one."""
    limit = max_photo_bytes()
    photos: list[Photo] = []
    files = [f for f in files if f and getattr(f, "filename", "")]
    if len(files) > MAX_PHOTOS:
        raise CycleError(422, _("每份报告最多上传 %(n)d 张照片。", n=MAX_PHOTOS))
    for storage in files:
        data = storage.read(limit + 1)
        name = storage.filename
        if not data:
            raise CycleError(422, _("照片“%(name)s”是空文件。", name=name))
        if len(data) > limit:
            raise CycleError(413, _("照片“%(name)s”超过 %(mb)s MB 的上限。", name=name, mb=f"{limit / 1024 / 1024:g}"))
        try:
            clean, content_type = reencode_image(data, name=name, declared=storage.mimetype)
        except ImageRefused as exc:
            raise CycleError(exc.status, str(exc)) from exc
        photos.append(Photo(clean, content_type, name))
    return photos


def upload_dir() -> Path:
    path = Path(current_app.config["YISHI_UPLOAD_DIR"]) / "projects"
    path.mkdir(parents=True, exist_ok=True)
    return path


def photo_path(stored_name: str) -> Path:
    return upload_dir() / stored_name


def _store(photo: Photo) -> str:
    """Write the file under a random name; returns the name."""
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[photo.content_type]}"
    (upload_dir() / name).write_bytes(photo.data)
    return name


def discard_files(names: list[str]) -> None:
    """Remove files written for a request that was then rolled back."""
    for name in names:
        try:
            (upload_dir() / name).unlink()
        except FileNotFoundError:
            pass


# --- Progress reports ------------------------------------------------------------------


def add_report(
    project: Project,
    author: User,
    *,
    reported_on: date,
    percent: int,
    narrative: str,
    problems: str | None = None,
    backwards_reason: str | None = None,
    rectifications: list[str] = (),
    photos: list[Photo] = (),
) -> tuple[ProgressReport, list[str]]:
    """A progress report; returns it and the names of the files written."""
    check_reportable(project)
    if not 0 <= percent <= 100:
        raise CycleError(422, _("完成进度须在 0 到 100 之间。"))
    previous = project.percent if project.reports else 0
    backwards_reason = (backwards_reason or "").strip() or None
    if percent < previous and not backwards_reason:
        raise CycleError(422, _("进度从 %(a)d%% 降到 %(b)d%%，请说明原因。", a=previous, b=percent))
    report = ProgressReport(
        project=project,
        reported_on=reported_on,
        percent=percent,
        narrative=narrative,
        problems=(problems or "").strip() or None,
        backwards_reason=backwards_reason if percent < previous else None,
        author=author,
    )
    db.session.add(report)
    for text in rectifications:
        db.session.add(RectificationItem(project=project, report=report, description=text))
    written: list[str] = []
    try:
        for photo in photos:
            name = _store(photo)
            written.append(name)
            db.session.add(
                ProgressPhoto(
                    report=report,
                    stored_name=name,
                    content_type=photo.content_type,
                    size_bytes=len(photo.data),
                    caption=_("%(title)s 进度照片", title=project.title),
                )
            )
        db.session.flush()
    except Exception:
        discard_files(written)
        raise
    audit.record(
        "projects.report.add",
        "project",
        project.id,
        {"report": report.id, "percent": percent, "photos": len(written), "rectifications": len(list(rectifications))},
    )
    return report, written


def add_note(
    project: Project, deputy: Deputy, *, visited_on: date, note: str, rectifications: list[str] = ()
) -> InspectionNote:
    check_member(project, deputy.id)
    entry = InspectionNote(project=project, deputy=deputy, visited_on=visited_on, note=note)
    db.session.add(entry)
    db.session.flush()
    for text in rectifications:
        db.session.add(RectificationItem(project=project, note_id=entry.id, description=text))
    db.session.flush()
    audit.record("projects.note.add", "project", project.id, {"note": entry.id, "deputy": deputy.code})
    return entry


def resolve_item(item: RectificationItem) -> None:
    if item.is_done:
        raise CycleError(409, _("这项整改已经完成。"))
    item.status = RectificationItemStatus.DONE
    item.resolved_at = utcnow()
    audit.record("projects.rectification.done", "rectification_item", item.id, {"project": item.project_id})


# --- The board and the timeline --------------------------------------------------------


def schedule(project: Project, today: date) -> str:
    """'done', 'late' or 'on_time'."""
    if project.percent >= 100:
        return "done"
    if today > project.planned_completion:
        return "late"
    return "on_time"


def schedule_label(key: str) -> str:
    return {"done": _("已完成"), "late": _("滞后"), "on_time": _("按计划推进")}[key]


def board(year: int, today: date) -> list[dict]:
    projects = db.session.scalars(
        select(Project).where(Project.year == year, Project.status == ProjectStatus.ELECTED).order_by(Project.id)
    ).all()
    return [
        {"project": p, "percent": p.percent, "schedule": schedule(p, today), "last": p.last_report} for p in projects
    ]


def late_projects(today: date) -> list[Project]:
    projects = db.session.scalars(
        select(Project).where(Project.status == ProjectStatus.ELECTED, Project.planned_completion < today)
    ).all()
    return [p for p in projects if p.percent < 100]


def timeline(project: Project) -> list[dict]:
    """Reports and inspection notes in date order."""
    events = [
        {"kind": "report", "on": r.reported_on, "item": r, "order": (r.reported_on, 0, r.id)} for r in project.reports
    ]
    events += [{"kind": "note", "on": n.visited_on, "item": n, "order": (n.visited_on, 1, n.id)} for n in project.notes]
    return sorted(events, key=lambda e: e["order"])
