"""Times as people read them: the database keeps naive UTC, pages show the configured
zone (``YISHI_TIMEZONE``, Beijing time by default) and name it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _

DEFAULT_ZONE = "Asia/Shanghai"
# The zone names that mean 北京时间 (China Standard Time, UTC+8).
BEIJING = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}


def zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def to_local(moment: datetime) -> datetime:
    """A naive UTC (or an aware) datetime as naive local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone()).replace(tzinfo=None)


def to_utc(local: datetime) -> datetime:
    """A naive local datetime (from a form) as naive UTC."""
    return local.replace(tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Today in the configured zone: the day every deadline, call and report date is
    counted in. ``YISHI_TODAY`` (a date or an ISO string) fixes it, for tests."""
    fixed = current_app.config["YISHI_TODAY"] if has_app_context() else None
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(fixed)
    return datetime.now(zone()).date()


def zone_name() -> str:
    """The zone as people call it: 北京时间, else its name and offset."""
    here = zone()
    if here.key in BEIJING:
        return _("北京时间")
    offset = datetime.now(here).strftime("%z")
    return f"{here.key}, UTC{offset[:3]}:{offset[3:]}"


def _parse(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # an RFC 3339 time of the protocol: "2027-01-12T01:00:00Z"
        return datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment


def local_time(moment: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M", named: bool = True) -> str:
    """The ``local_time`` template filter: ``moment`` in the configured zone, followed by
    the zone's name whenever a clock time is shown (unless ``named=False``, where a
    heading already names it)."""
    if not moment:
        return ""
    text = to_local(_parse(moment)).strftime(fmt)
    if named and "%H" in fmt:
        text += _("（") + zone_name() + _("）")
    return text
