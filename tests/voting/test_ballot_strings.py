"""The ballot page's texts have one source, voting/ballot_i18n.py: static/js/ballot.js
holds none of its own (but the one bilingual error for a page without them) and looks
each up by a key written out in a ``.t('key')`` call. Here the keys the script asks for
and the keys the server sends must be the same, in both languages, with the same
placeholders the script fills."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from voting.ballot_i18n import ballot_i18n

JS = Path(__file__).resolve().parents[2] / "static" / "js" / "ballot.js"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A lookup: .t('key') or .t('key', { name: value, … }) with a flat object of parameters.
LOOKUP = re.compile(r"\.t\(\s*'([a-z_]+)'\s*(?:,\s*\{([^{}]*)\}\s*)?\)")


def _code() -> str:
    """ballot.js without its comments (a comment may show a lookup as an example)."""
    code = re.sub(r"/\*.*?\*/", "", JS.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", code)


def _lookups() -> dict[str, set[frozenset[str]]]:
    """Each key the script looks up, with the sets of parameter names it passes."""
    found: dict[str, set[frozenset[str]]] = {}
    for key, params in LOOKUP.findall(_code()):
        names = frozenset(part.split(":", 1)[0].strip() for part in params.split(",") if part.strip())
        found.setdefault(key, set()).add(names)
    return found


def _strings(app, lang: str) -> dict[str, str]:
    with app.test_request_context(), force_locale(lang):
        return ballot_i18n()


def test_every_lookup_in_ballot_js_names_its_key():
    """A computed key (.t(prefix + value)) would hide a key from this test."""
    code = _code()
    calls = len(re.findall(r"\.t\(", code))
    assert calls == len(LOOKUP.findall(code)) and calls > 40, "every .t( call must be .t('key'[, {…}])"


def test_ballot_js_has_no_texts_of_its_own():
    code = _code()
    texts = [s for s in re.findall(r"'((?:[^'\\\n]|\\.)*)'", code) if CJK.search(s)]
    # The one exception: what the page says when the server's texts are missing.
    assert len(texts) == 1 and "不能投票" in texts[0]
    assert "This page is missing its texts" in code


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_script_and_the_server_have_the_same_keys(app, lang):
    strings = _strings(app, lang)
    used = set(_lookups())
    assert used - set(strings) == set(), "looked up by ballot.js but not sent by ballot_i18n.py"
    assert set(strings) - used == set(), "sent by ballot_i18n.py but never used by ballot.js"
    assert all(isinstance(v, str) and v for v in strings.values())


def test_every_string_is_translated_and_keeps_its_placeholders(app):
    zh, en = _strings(app, "zh"), _strings(app, "en")
    for key in zh:
        assert CJK.search(zh[key]), f"{key}: the Chinese text is the message id"
        assert not CJK.search(en[key]), f"{key}: no English translation ({en[key]!r})"
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key


def test_the_script_fills_exactly_the_placeholders_of_each_string(app):
    zh = _strings(app, "zh")
    for key, calls in _lookups().items():
        wanted = set(PLACEHOLDER.findall(zh[key]))
        for names in calls:
            assert set(names) == wanted, f"{key}: filled with {sorted(names)}, the text has {sorted(wanted)}"
