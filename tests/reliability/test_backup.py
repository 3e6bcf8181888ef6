"""Backup and restore: a restored database serves boards identical to the originals."""

import json

from tests.conftest import base_config, database_url
from tests.factories import csrf_from, make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, close, deputy_client, take_token


def test_restored_database_serves_identical_boards(app, runner, backend, tmp_path):
    from app import create_app

    congress, session = make_congress(5)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    for code in ("D001", "D002", "D003"):
        voter = take_token(app, poll, code)
        assert cast(app, poll, voter.ballot({"p01": "yes", "p02": "no", "p03": "abstain"})).status_code == 201
    close(poll)
    still_open = approval_poll(session, public_id="still-open", options=2, seats=1)
    # A token taken before the backup can be asked for again after the restore (the
    # blinded message's hash came along): a page reloaded across a restore can finish.
    early = take_token(app, still_open.public_id, "D004")
    original = app.test_client()
    board = original.get(f"/api/polls/{poll.public_id}/board").get_data()
    page = original.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    dump_file = tmp_path / "yishi-backup.json.gz"
    result = runner.invoke(args=["backup", str(dump_file)])
    assert result.exit_code == 0, result.output
    assert oct(dump_file.stat().st_mode & 0o777) == "0o600"
    # Restore into a fresh database with the same key-encryption key.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config = dict(
        base_config(fresh, database_url(backend, fresh)),
        YISHI_KEY_ENCRYPTION_KEY=app.config["YISHI_KEY_ENCRYPTION_KEY"],
    )
    if backend["kind"] == "postgresql":
        # The PostgreSQL template is shared: restore into a second database.
        from tests.conftest import _pg_second_database

        config["SQLALCHEMY_DATABASE_URI"] = _pg_second_database(backend)
    restored = create_app(config)
    restored.test_client_class = type(original)
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(dump_file)])
        assert result.exit_code == 0, result.output
        again = restored.test_cli_runner().invoke(args=["restore", str(dump_file)])
        assert again.exit_code != 0 and "not empty" in again.output
        client = restored.test_client()
        assert client.get(f"/api/polls/{poll.public_id}/board").get_data() == board
        assert client.get(f"/polls/{poll.public_id}").get_data(as_text=True) == page
        # The open poll goes on in the restored database: its keys came along.
        voter = take_token(restored, still_open.public_id, "D005")
        response = cast(restored, still_open.public_id, voter.ballot({"p01": "yes", "p02": "no"}))
        assert response.status_code == 201
        assert json.loads(response.get_data())["index"] == 0
        client = deputy_client(restored, "D004")
        token = csrf_from(client.get(f"/polls/{still_open.public_id}/vote").get_data(as_text=True))
        first_sig = early.token_sig
        repeat = client.post(
            f"/api/polls/{still_open.public_id}/tokens",
            json={"blinded_msg": early.blinded_msg},
            headers={"X-CSRFToken": token},
        )
        assert repeat.status_code == 200, repeat.get_json()
        early.token_response(repeat.get_json())
        assert early.token_sig == first_sig
        response = cast(restored, still_open.public_id, early.ballot({"p01": "no", "p02": "yes"}))
        assert response.status_code == 201
        from extensions import db

        db.session.remove()
        db.engine.dispose()


def test_restore_into_an_unmigrated_database_says_to_upgrade(app, runner, backend, tmp_path):
    """No traceback: an ``Error: …`` line that names the command to run first."""
    import uuid

    from sqlalchemy import create_engine, text

    from app import create_app
    from extensions import db

    dump_file = tmp_path / "yishi-backup.json.gz"
    assert runner.invoke(args=["backup", str(dump_file)]).exit_code == 0
    if backend["kind"] == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}", None
    else:
        from tests.conftest import _replace_db

        name = f"yishi_unmigrated_{uuid.uuid4().hex[:8]}"
        admin = create_engine(_replace_db(backend["url"], "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url, drop = _replace_db(backend["url"], name), name
    empty = create_app(dict(app.config, SQLALCHEMY_DATABASE_URI=url))
    try:
        with empty.app_context():
            result = empty.test_cli_runner().invoke(args=["restore", str(dump_file)])
            db.session.remove()
            db.engine.dispose()
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: the database has no Yishi schema")
        assert "flask --app app db upgrade" in result.output and "Traceback" not in result.output
        not_a_backup = tmp_path / "notes.txt"
        not_a_backup.write_text("hello")
        with empty.app_context():
            result = empty.test_cli_runner().invoke(args=["restore", str(not_a_backup)])
        assert result.exit_code == 1 and result.output.startswith("Error: not a Yishi backup file")
    finally:
        if drop:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
            admin.dispose()


def test_restore_refuses_a_backup_of_another_schema_revision(app, runner, tmp_path):
    """A backup is loaded only into a database at its own revision, with the command
    that makes one: a later migration's constraints could refuse its rows half-way."""
    import gzip

    dump_file = tmp_path / "yishi-backup.json.gz"
    assert runner.invoke(args=["backup", str(dump_file)]).exit_code == 0
    with gzip.open(dump_file, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["alembic"]  # the revision is recorded
    data["alembic"] = ["0007"]
    older = tmp_path / "older.json.gz"
    with gzip.open(older, "wt", encoding="utf-8") as fh:
        json.dump(data, fh)
    result = runner.invoke(args=["restore", str(older)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the backup was made at schema revision 0007")
    assert "flask --app app db upgrade 0007" in result.output and "Traceback" not in result.output
