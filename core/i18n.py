"""The interface language: Chinese first, English second."""

from flask import has_request_context, request

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    """The language cookie, else Chinese. The cast call reads no cookie: it follows
    Accept-Language instead."""
    if not has_request_context():
        return "zh"
    if request.endpoint == "voting_api.ballots":
        return request.accept_languages.best_match(LANGUAGES) or "zh"
    lang = request.cookies.get("yishi_lang")
    return lang if lang in LANGUAGES else "zh"
