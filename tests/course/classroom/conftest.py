"""A throw-away PostgreSQL server for the gradebook test.

Debian's PostgreSQL 15 binaries (``/usr/lib/postgresql/15/bin``, or ``RNNLAB_PG_BIN``):
``initdb`` into a temporary folder, ``pg_ctl start`` on a free local port, one database
created, the server stopped and the folder removed at the end. PostgreSQL refuses to
run as root, so as root the server runs as the ``postgres`` user (``runuser``) in a
folder that user owns. The test is skipped, with the reason, only where this cannot
be done.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("RNNLAB_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "gradebook"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> tuple[list[str], pwd.struct_passwd | None]:
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and runuser is missing (PostgreSQL refuses root)")
    return [runuser, "-u", "postgres", "--"], user


@pytest.fixture(scope="session")
def postgres_url():
    """The SQLAlchemy URL of an empty database on a fresh local PostgreSQL server."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL is not installed ({PG_BIN}/initdb not found)")
    prefix, user = _as_server_user()
    base = Path(tempfile.mkdtemp(prefix="rnnlab-pg-"))
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    data, port = base / "data", _free_port()

    def pg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    def step(*args) -> None:
        done = pg(*map(str, args))
        if done.returncode != 0:
            pytest.skip(f"PostgreSQL could not start: {args[0].name}: {done.stderr[-500:]}")

    started = False
    try:
        step(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        step(
            PG_BIN / "pg_ctl",
            "-D",
            data,
            "-l",
            base / "server.log",
            "-w",
            "start",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
        )
        started = True
        done = pg(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            DATABASE,
        )
        assert done.returncode == 0, done.stderr
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            pg(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
