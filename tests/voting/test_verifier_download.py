"""The verifier a citizen downloads runs on its own: the zip holds only the pure
modules, which import neither the web app, its database nor gmpy2."""

import io
import json
import subprocess
import sys
import zipfile

from tests.factories import make_congress
from tests.voting.factories import approval_poll, board, cast, check_in_all, close, take_token

# Run the verifier with the site's other libraries made unimportable.
ISOLATED = (
    "import runpy, sys\n"
    "for name in ('flask', 'flask_babel', 'sqlalchemy', 'gmpy2', 'werkzeug', 'app', 'extensions'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = ['verify'] + sys.argv[1:]\n"
    "runpy.run_module('voting.verify', run_name='__main__')\n"
)


def test_downloaded_verifier_checks_a_board_alone(app, tmp_path):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    voter = take_token(app, poll, "D002")
    body = voter.ballot({"p01": "yes", "p02": "no"})
    receipt = cast(app, poll, body).get_json()
    close(poll)
    client = app.test_client()
    archive = zipfile.ZipFile(io.BytesIO(client.get("/verify/yishi-verify.zip").data))
    names = sorted(archive.namelist())
    assert "yishi-verify/voting/verify.py" in names
    assert not any(n.endswith(("services.py", "models.py", "views.py", "api.py")) for n in names)
    archive.extractall(tmp_path)
    folder = tmp_path / "yishi-verify"
    (folder / "board.json").write_text(json.dumps(board(app, poll), ensure_ascii=False))
    (folder / "receipt.json").write_text(json.dumps(receipt))
    (folder / "ballot.json").write_text(json.dumps(body["ballot"]))
    args = ["board.json", "--receipt", "receipt.json", "--ballot", "ballot.json", "--fingerprint", poll.fingerprint]
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("\nok ") + done.stdout.startswith("ok ") == 8
    # And it fails on a board with one changed count.
    published = json.loads((folder / "board.json").read_text())
    published["result"]["options"][0]["yes"] += 1
    (folder / "board.json").write_text(json.dumps(published, ensure_ascii=False))
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "FAIL 6" in done.stdout


def test_the_readmes_verifier_line_works_from_the_project_venv(app, tmp_path):
    """The README's line, word for word, with this test run's interpreter standing for
    .venv/bin/python (the README's test command runs under it) and real files."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    (line,) = [
        line
        for line in (root / "README.md").read_text().splitlines()
        if line.startswith(".venv/bin/python -m voting.verify")
    ]
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    voter = take_token(app, poll, "D001")
    body = voter.ballot({"p01": "yes", "p02": "no"})
    receipt = cast(app, poll, body).get_json()
    close(poll)
    files = {
        "board.json": board(app, poll),
        "receipt.json": receipt,
        "ballot.json": body["ballot"],
    }
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content, ensure_ascii=False))
    words = line.replace("[", "").replace("]", "").split()
    assert words[:3] == [".venv/bin/python", "-m", "voting.verify"]
    args = [str(tmp_path / w) if w in files else w for w in words[3:]]
    args[args.index("--fingerprint") + 1] = poll.fingerprint
    done = subprocess.run(
        [sys.executable, "-m", "voting.verify", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout


def test_the_protocol_package_imports_without_the_web_app_or_gmpy2():
    """Every module of ``voting.protocol`` imports with Flask, SQLAlchemy, gmpy2 and the
    app made unimportable: the layout's promise, not only the verifier's."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    modules = sorted(p.stem for p in (root / "voting" / "protocol").glob("*.py") if p.stem != "__init__")
    assert {"encoding", "merkle", "blindrsa", "signing", "rules", "tally", "board", "verify", "client"} <= set(modules)
    code = (
        "import importlib, sys\n"
        "for name in ('flask', 'flask_babel', 'flask_sqlalchemy', 'sqlalchemy', 'gmpy2', 'werkzeug', 'app',"
        " 'extensions', 'core'):\n"
        "    sys.modules[name] = None\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('voting.protocol.' + name)\n"
        "print(len(sys.argv))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_zip_ships_the_protocol_package_whole(app):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    archive = zipfile.ZipFile(io.BytesIO(app.test_client().get("/verify/yishi-verify.zip").data))
    shipped = {n for n in archive.namelist() if n.startswith("yishi-verify/voting/protocol/")}
    expected = {f"yishi-verify/voting/protocol/{p.name}" for p in (root / "voting" / "protocol").glob("*.py")}
    assert shipped == expected
