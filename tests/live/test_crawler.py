"""The live suite's own parts, without a server: what the crawler follows, how it
groups URLs, and which downloads it refuses."""

from __future__ import annotations

from tests.live.checks import download_fault, results_page_facts
from tests.live.crawler import Page, links, pattern, same_site

BASE = "http://127.0.0.1:5000"


def test_links_follows_gets_and_never_posts():
    html = """
    <link rel="stylesheet" href="/static/css/site.css"><img src="/p.png"><script src="/static/js/a.js"></script>
    <a href="/polls/x">x</a><a href="#main">skip</a><a href="mailto:a@b.c">mail</a>
    <div data-url="/sessions/1/counts.json"></div>
    <form method="post" action="/logout"><input name="csrf_token" value="t"></form>
    <form method="get" action="/search?old=1">
      <input name="q" value="水"><input type="checkbox" name="all"><input type="checkbox" name="mine" checked>
      <select name="state"><option value="a">A</option><option value="b" selected>B</option></select>
      <textarea name="note">hi</textarea><input type="submit" name="go" value="Go">
    </form>"""
    assert links(html) == [
        "/static/css/site.css",
        "/p.png",
        "/static/js/a.js",
        "/polls/x",
        "#main",
        "mailto:a@b.c",
        "/sessions/1/counts.json",
        "/search?q=%E6%B0%B4&mine=on&state=b&note=hi",
    ]
    assert same_site(BASE, "/a/b", "c?x=1#top") == "/a/c?x=1"
    assert same_site(BASE, "/", "https://www.example.gov.cn/x") is None
    assert same_site(BASE, "/", "#main") is None


def test_patterns_group_ids_but_keep_words():
    assert (
        pattern("/polls/ceping-2026-1-4aeb69")
        == pattern("/polls/ceping-2027-2-00ff11")
        == "/polls/ceping-{n}-{n}-{token}"
    )
    assert pattern("/polls/2026-qingxi-18-4-minsheng") != pattern("/polls/ceping-2026-1-4aeb69")
    assert pattern("/projects/photos/3f9a0c1b2d4e5f60718293a4b5c6d7e8.png") == "/projects/photos/{token}.png"
    assert pattern("/audit?page=2") == pattern("/audit?page=3") == "/audit?page"
    assert pattern("/projects/2026/results.csv") != pattern("/projects/2026/results.json")


def _page(path, content_type, body=b"x"):
    return Page(path=path, referrer="/", status=200, content_type=content_type, body=body)


def test_download_faults():
    assert download_fault(_page("/projects/2026/results.csv", "text/csv; charset=utf-8", b"a,b\n1,2\n")) is None
    assert "one charset" in download_fault(_page("/x.csv", "text/csv; charset=utf-8; charset=utf-8", b"a,b\n"))
    assert "expected application/json" in download_fault(_page("/api/polls/p/board", "text/html; charset=utf-8"))
    assert "not JSON" in download_fault(_page("/polls/p/results.json", "application/json", b"<html>"))
    assert download_fault(_page("/verify/yishi-verify.zip", "application/zip", b"")) == "empty body"
    assert "does not know" in download_fault(_page("/x/report", "application/pdf", b"%PDF-1.4"))
    assert download_fault(_page("/polls", "text/html; charset=utf-8", b"<!doctype html>")) is None


def test_results_page_facts():
    html = """<td class="num" data-turnout="cast">186</td><span class="fingerprint" id="fingerprint">0a1b</span>
    <ol id="elected"><li>A &amp; B</li></ol>
    <tr data-option="p01"><th scope="row">A &amp; B</th>
      <td class="num">170</td><td class="num">12</td><td class="num">4</td><td>当选</td></tr>"""
    assert results_page_facts(html) == {
        "fingerprint": "0a1b",
        "turnout": {"cast": 186},
        "rows": {"p01": [170, 12, 4]},
        "elected": ["A & B"],
    }
