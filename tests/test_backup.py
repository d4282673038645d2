"""`manage.py backup` and `manage.py restore`: a backup restores to exactly the same data.

Everything runs in child processes against a scratch database of the same kind
as the test run's (a file for SQLite, a new database for PostgreSQL), as an
operator would run `make backup` and `make restore`; the test database is untouched.
"""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from core.backups import BackupError, run_pg
from tests.conftest import BASE_DIR, clean_env, manage

FIXTURES = [
    "fixtures/conditions.json",
    "fixtures/treatments.json",
    "fixtures/people.json",
    "fixtures/articles.json",
]
HEADER = (
    "external_id,name,status,website,phone,email,description,address1,address2,city,state,"
    "zip,latitude,longitude,conditions,treatments,serves_states,accepting_new_patients\n"
)
PROVIDERS = (
    "hc-1,Hill Country,published,https://hc.example,512.555.0199,,,1 A St,,Austin,TX,78701,,,"
    "depression;ptsd,iv-infusion,,yes\n"
    "home-1,Buckeye at Home,published,,,,,,,,,,,,anxiety,oral-sublingual,OH;TX,unknown\n"
)
RETITLE = (
    "from articles.models import Article\n"
    "article = Article.objects.get(slug='ketamine-for-pain-management')\n"
    "article.title = 'Ketamine for pain, retitled'\n"
    "article.save()\n"
)


def run(*args, env):
    """manage.py in a child process, failure allowed: (return code, stdout + stderr)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def postgres_server():
    db = connection.settings_dict
    server = {
        "host": db["HOST"] or "localhost",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    return db["NAME"], server


def database_url(name, server):
    password = f":{quote(server['password'])}" if server["password"] else ""
    return f"postgres://{quote(server['user'])}{password}@{server['host']}:{server['port']}/{name}"


def create_database(name, template=None):
    test_db, server = postgres_server()
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{test_db}_{name}" WITH (FORCE)')
        template = f' TEMPLATE "{test_db}_{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{test_db}_{name}"{template}')
    return database_url(f"{test_db}_{name}", server)


def drop_database(name):
    test_db, server = postgres_server()
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{test_db}_{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A migrated, empty database of the test run's kind, to copy for each test."""
    if connection.vendor == "postgresql":
        url = create_database("backup_template")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('backup') / 'template.sqlite3'}"
    manage("migrate", "--noinput", env=clean_env(DJANGO_DEBUG="1", DATABASE_URL=url))
    yield url
    if connection.vendor == "postgresql":
        drop_database("backup_template")


@pytest.fixture
def env(migrated, tmp_path):
    """The environment of a scratch copy of the migrated database."""
    if connection.vendor == "postgresql":
        url = create_database("backup", template="backup_template")
    else:
        scratch = tmp_path / "scratch.sqlite3"
        shutil.copyfile(migrated.removeprefix("sqlite:///"), scratch)
        url = f"sqlite:///{scratch}"
    yield clean_env(DJANGO_DEBUG="1", DATABASE_URL=url)
    if connection.vendor == "postgresql":
        drop_database("backup")


def snapshot(env):
    """Every row of the directory and articles apps, change history included."""
    rows = json.loads(manage("dumpdata", "directory", "articles", env=env).stdout)
    # Models come in registration order, and simple-history registers its
    # many-to-many history models in set order, which varies between processes.
    return sorted(rows, key=lambda row: (row["model"], row["pk"]))


def import_csv(env, tmp_path, rows):
    path = tmp_path / "providers.csv"
    path.write_text(HEADER + rows)
    manage("import_providers", str(path), env=env)


def test_backup_restores_to_the_same_data_and_history(env, tmp_path):
    manage("loaddata", *FIXTURES, env=env)
    import_csv(env, tmp_path, PROVIDERS)
    manage("shell", "-c", RETITLE, env=env)
    before = snapshot(env)
    models = {row["model"] for row in before}
    assert {"directory.historicalprovider", "articles.historicalarticle"} <= models

    backup = tmp_path / "backups" / "before.bin"
    assert manage("backup", str(backup), env=env).stdout.strip() == str(backup)
    assert backup.stat().st_size > 0

    import_csv(env, tmp_path, PROVIDERS.replace("512.555.0199", "512.555.0100"))
    manage(
        "shell",
        "-c",
        "from articles.models import Article\nArticle.objects.all().delete()",
        env=env,
    )
    assert snapshot(env) != before

    code, output = run("restore", str(backup), "--yes", env=env)
    assert code == 0, output
    assert "Restored" in output
    assert snapshot(env) == before

    # Keys carry on after the restored ones: new rows do not collide with them.
    import_csv(env, tmp_path, PROVIDERS.replace("hc-1", "hc-2"))
    assert "hc-2" in {row["fields"].get("external_id") for row in snapshot(env)}


def test_backup_into_a_folder_is_named_by_date_and_time(env, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    written = manage("backup", str(folder), env=env).stdout.strip()
    extension = "dump" if connection.vendor == "postgresql" else "sqlite3"
    assert re.fullmatch(rf"{re.escape(str(folder))}/ketanet-\d{{8}}-\d{{6}}\.{extension}", written)
    assert [path.name for path in folder.iterdir()] == [written.rsplit("/", 1)[1]]


def test_restore_asks_for_confirmation_and_writes_nothing_without_it(env, tmp_path):
    backup = tmp_path / "empty.bin"
    manage("backup", str(backup), env=env)
    manage("loaddata", *FIXTURES, env=env)
    before = snapshot(env)
    code, output = run("restore", str(backup), env=env)  # stdin is not a terminal
    assert code != 0
    assert "Run again with --yes to confirm." in output
    assert snapshot(env) == before


def test_restore_refuses_files_that_are_not_a_backup_of_this_kind(env, tmp_path):
    manage("loaddata", *FIXTURES, env=env)
    before = snapshot(env)
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    other_sqlite = tmp_path / "other.sqlite3"
    with sqlite3.connect(other_sqlite) as db:
        db.execute("CREATE TABLE notes (text)")
    fake_dump = tmp_path / "fake.dump"
    fake_dump.write_bytes(b"PGDMP" + b"\x00" * 100)
    if connection.vendor == "postgresql":
        wrong_kind = (other_sqlite, "is an SQLite backup, but this database is PostgreSQL")
        not_ours = (fake_dump, "pg_restore failed")
    else:
        wrong_kind = (fake_dump, "is a PostgreSQL backup, but this database is SQLite")
        not_ours = (other_sqlite, "is an SQLite database, but not a ketanet one")
    for path, message in [
        (tmp_path / "missing.dump", "does not exist"),
        (text, "is not a backup: neither a pg_dump custom-format file nor an SQLite database"),
        wrong_kind,
        not_ours,
    ]:
        code, output = run("restore", str(path), "--yes", env=env)
        assert code != 0
        assert "Nothing restored:" in output
        assert message in output
        assert "Traceback" not in output
    assert snapshot(env) == before


def test_missing_postgresql_client_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match=r"pg_dump was not found\. Install the PostgreSQL client"):
        run_pg("pg_dump", ["--version"], None)
