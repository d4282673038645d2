"""Back up the database to one file and restore it, for PostgreSQL and SQLite.

PostgreSQL: pg_dump's custom format, restored by pg_restore in one transaction
(all or nothing). The connection comes from settings.DATABASES through libpq's
PG* environment variables, so the password never shows on a command line.
SQLite: sqlite3's online backup API, a consistent copy even while the site
writes; restoring copies back through the same API.
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
EXTENSIONS = {"postgresql": "dump", "sqlite": "sqlite3"}
KINDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
A_KIND = {"postgresql": "a PostgreSQL", "sqlite": "an SQLite"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


def vendor_of(alias):
    vendor = connections[alias].vendor
    if vendor not in EXTENSIONS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def default_path(alias, folder=None):
    """var/backups/ketanet-<YYYYmmdd-HHMMSS>.<dump|sqlite3> (or in `folder`)."""
    folder = Path(folder) if folder else Path(settings.BASE_DIR) / "var" / "backups"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return folder / f"ketanet-{stamp}.{EXTENSIONS[vendor_of(alias)]}"


def backup_database(path, alias="default"):
    """Write a backup of database `alias` to `path`; return the path."""
    vendor = vendor_of(alias)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")  # never a half-written backup
    try:
        if vendor == "postgresql":
            run_pg("pg_dump", ["--format=custom", "--no-password", f"--file={partial}"], alias)
        else:
            with (
                closing_connection(sqlite_name(alias)) as source,
                closing_connection(str(partial)) as target,
            ):
                source.backup(target)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore_database(path, alias="default"):
    """Replace everything in database `alias` with the backup at `path`."""
    vendor = vendor_of(alias)
    check_backup(path, vendor)
    # Our own connection would hold locks the restore needs.
    connections[alias].close()
    if vendor == "postgresql":
        run_pg(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--no-password",
                f"--dbname={connections[alias].settings_dict['NAME']}",
                str(path),
            ],
            alias,
        )
    else:
        with (
            closing_connection(f"file:{Path(path).resolve()}?mode=ro") as source,
            closing_connection(sqlite_name(alias)) as target,
        ):
            source.backup(target)


def check_backup(path, vendor):
    """Refuse a missing file, or one that is not a backup for this kind of database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    found = (
        "postgresql"
        if head.startswith(PG_MAGIC)
        else "sqlite"
        if head.startswith(SQLITE_MAGIC)
        else None
    )
    if found is None:
        raise BackupError(
            f"{path} is not a backup: neither a pg_dump custom-format file nor an SQLite database."
        )
    if found != vendor:
        raise BackupError(
            f"{path} is {A_KIND[found]} backup, but this database is {KINDS[vendor]}; "
            "restore it into a database of the same kind."
        )
    if vendor == "postgresql":
        listing = run_pg("pg_restore", ["--list", str(path)], None).stdout
        has_migrations = " django_migrations " in listing
    else:
        with closing_connection(f"file:{path.resolve()}?mode=ro") as db:
            try:
                has_migrations = bool(
                    db.execute(
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'django_migrations'"
                    ).fetchone()
                )
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    if not has_migrations:
        raise BackupError(f"{path} is {A_KIND[vendor]} database, but not a ketanet one.")


# --- SQLite -------------------------------------------------------------------


def sqlite_name(alias):
    return str(connections[alias].settings_dict["NAME"])


def closing_connection(name):
    """An sqlite3 connection (file: URIs allowed) that `with` closes; sqlite3's own only commits."""
    return closing(sqlite3.connect(name, uri=name.startswith("file:")))


# --- PostgreSQL ---------------------------------------------------------------


def pg_environment(alias):
    """libpq's PG* variables for database `alias` (the password is never an argument)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    if alias is None:
        return env
    db = connections[alias].settings_dict
    options = db.get("OPTIONS", {})
    for variable, value in [
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
        ("PGSSLMODE", options.get("sslmode")),
        ("PGCONNECT_TIMEOUT", options.get("connect_timeout")),
    ]:
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def run_pg(program, arguments, alias):
    """Run pg_dump or pg_restore for database `alias`; raise BackupError with its message."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} was not found. Install the PostgreSQL client tools of the "
            "server's major version (on Debian: apt-get install postgresql-client)."
        )
    result = subprocess.run(  # noqa: S603 - fixed program, arguments are ours
        [executable, *arguments],
        env=pg_environment(alias),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip() or result.returncode}")
    return result
