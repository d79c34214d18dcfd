"""Create or update the least-privilege PostgreSQL role the app runs as.

    manage.py grant_app_role --role careweave_app          # run as the schema owner, after every migrate
    manage.py grant_app_role --role careweave_app --print  # only show the SQL

The role may read and write ordinary tables, but on the history tables (every pghistory event table)
and the access log it has only SELECT and INSERT: the app can add to the audit trail and never change
or remove it, even through raw SQL. The pghistory context table keeps UPDATE (pghistory upserts a
request's context) but not DELETE. Tables added by later migrations get no grant until this runs
again, so a new table fails closed. See docs/deployment.md and docs/security.md.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from pghistory.models import Context, Event
from psycopg import sql

from patients.models import AccessEvent


def append_only_tables() -> list[str]:
    """The tables rows are only ever added to: pghistory's event tables and the access log."""
    events = [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and model._meta.managed and not model._meta.proxy
    ]
    return sorted({*events, AccessEvent._meta.db_table})


def grant_statements(role: str, *, login: bool = False) -> list[sql.Composable]:
    name = sql.Identifier(role)
    create = sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) "
        "THEN CREATE ROLE {name} {login}; END IF; END $$"
    ).format(literal=sql.Literal(role), name=name, login=sql.SQL("LOGIN" if login else "NOLOGIN"))
    statements: list[sql.Composable] = [
        create,
        # Never more than asked for: no superuser, no creating roles or databases, no bypassing RLS.
        sql.SQL("ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(name),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(name),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
    ]
    for table in append_only_tables():
        statements.append(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), name)
        )
    statements.append(
        sql.SQL("REVOKE DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(Context._meta.db_table), name)
    )
    return statements


class Command(BaseCommand):
    help = "Create or update the app's least-privilege database role (append-only history and access log)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default="careweave_app", help="The role the app connects as.")
        parser.add_argument(
            "--login", action="store_true", help="Create the role with LOGIN (set its password yourself)."
        )
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="Show the SQL; change nothing."
        )

    def handle(self, *args: Any, role: str, login: bool, print_only: bool, **options: Any) -> None:
        statements = grant_statements(role, login=login)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            if cursor.fetchone()[0] == role:
                raise CommandError("Run this as the schema owner, not as the app's own role.")
            rendered = [statement.as_string(cursor.connection) for statement in statements]
            if print_only:
                self.stdout.write(";\n".join(rendered) + ";")
                return
            with transaction.atomic():
                for statement in rendered:
                    cursor.execute(statement)
        self.stdout.write(
            f"Role {role}: read/write on ordinary tables; SELECT and INSERT only on "
            f"{len(append_only_tables())} append-only tables."
        )
