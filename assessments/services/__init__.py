"""The rules of satisfaction assessments, in parts by meaning:

* ``subjects``: standing committees, assessments and their subjects;
* ``ballots``: the one satisfaction poll of an assessment, code slips, open and close,
  and the consequences of the grades;
* ``rectification``: the items to rectify, follow-up and reassessment;
* ``results``: results, public years and the staff's lists;
* ``common``: limits and the refusal (``AssessmentError``).

Views, commands and tests import this package and call what it names here. Services
flush but never commit; only closing a poll commits, inside the engine, and the
rectification items follow it in the caller's transaction.
"""

from assessments.services import subjects  # noqa: F401  (its limits, for tests to lower)
from assessments.services.ballots import (
    apply_consequences,
    close_assessment,
    generate_codes,
    open_assessment,
    prepare_ballot,
    rectification_reason,
)
from assessments.services.common import MAX_PDF_BYTES, MAX_SUBJECTS, RECTIFY_DAYS, AssessmentError
from assessments.services.rectification import (
    close_rectification,
    open_rectifications,
    report_follow_up,
    start_reassessment,
    update_rectification,
)
from assessments.services.results import (
    SubjectResult,
    public_assessments,
    public_years,
    rectification_counts,
    results,
    staff_assessments,
    year_overview,
)
from assessments.services.subjects import (
    add_subject,
    check_pdf,
    committee_congress_ids,
    create_assessment,
    create_committee,
    delete_assessment,
    document_path,
    parse_threshold,
    remove_subject,
    threshold_percent,
    update_assessment,
)

__all__ = [
    "AssessmentError",
    "MAX_PDF_BYTES",
    "MAX_SUBJECTS",
    "RECTIFY_DAYS",
    "SubjectResult",
    "add_subject",
    "apply_consequences",
    "check_pdf",
    "close_assessment",
    "close_rectification",
    "committee_congress_ids",
    "create_assessment",
    "create_committee",
    "delete_assessment",
    "document_path",
    "generate_codes",
    "open_assessment",
    "open_rectifications",
    "parse_threshold",
    "prepare_ballot",
    "public_assessments",
    "public_years",
    "rectification_counts",
    "rectification_reason",
    "remove_subject",
    "report_follow_up",
    "results",
    "staff_assessments",
    "threshold_percent",
    "start_reassessment",
    "update_assessment",
    "update_rectification",
    "year_overview",
]
