"""A PostgreSQL server of the test's own, which it may stop and start at will.

Never the shared server on 5432: initdb into a temporary folder, a free loopback
port, the unix socket in that folder, fsync off (the data is thrown away).
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.conftest import free_port


def binaries():
    """The folder holding initdb and pg_ctl (newest PostgreSQL first), or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """initdb, start, stop and remove a private PostgreSQL server."""

    def __init__(self, bin_dir):
        self.bin_dir = bin_dir
        self.port = free_port()
        # Not under pytest's basetemp: that folder is private to root, and the
        # server must run as the postgres user when we are root (initdb refuses root).
        self.root = Path(tempfile.mkdtemp(prefix="ketanet-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_owner = []
        if os.geteuid() == 0:
            self.as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, program, *args, timeout=90):
        command = [*self.as_owner, self.bin_dir / program, *args]
        result = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(
                f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n"
                + (self.log.read_text() if self.log.exists() else "")
            )

    def start(self):
        """Start the server and return once it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")
        self.wait_until_accepting()

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def wait_until_accepting(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def create_database(self, name):
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self):
        # It may be stopped already (a test failed mid-outage).
        with contextlib.suppress(RuntimeError):
            self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)
