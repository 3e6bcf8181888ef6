"""What every step of the cycle shares: the refusal and the grade labels."""

from __future__ import annotations

from flask_babel import gettext as _

from core.errors import DomainError

GRADE_KEYS = ("satisfied", "basic", "dissatisfied")


class CycleError(DomainError):
    """A refused step of the cycle: HTTP status and a translated message; ``field``
    names the form's field the message belongs beside, if one does."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(status, message)
        self.field = field


def grade_label(grade: str | None) -> str:
    return {"satisfied": _("满意"), "basic": _("基本满意"), "dissatisfied": _("不满意")}.get(grade or "", "—")
