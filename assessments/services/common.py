"""What every part of the assessments shares: limits and the refusal."""

from __future__ import annotations

import re

from core.errors import DomainError

PDF_MAGIC = b"%PDF-"
MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_SUBJECTS = 30
RECTIFY_DAYS = 90  # default time to rectify; staff may change the due date
URL_RE = re.compile(r"^https?://[^\s<>\"']{3,490}$")


class AssessmentError(DomainError):
    """A refused request, with its HTTP status and a translated message."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)
