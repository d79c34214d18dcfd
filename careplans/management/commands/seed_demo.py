"""`manage.py seed_demo`: load the synthetic demo practice and print its logins.

The data itself lives in `careplans.demo`.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplans import demo


class Command(BaseCommand):
    help = (
        "Load a made-up demo practice: two teams, one login per care role and 30 synthetic patients "
        "with complete care plans. Safe to run again. Only runs with DEBUG on, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo data even though DEBUG is off. Never do this where real patients are.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="Seed of the random choices that vary the plans (default %(default)s).",
        )

    def handle(self, *args: Any, force: bool, seed: int, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates made-up patients and logins that "
                "all share one published password. Use --force only on a server that will never hold "
                "real patient data."
            )
        started = time.monotonic()
        try:
            result = demo.seed(random_seed=seed)
        except demo.DemoDataConflict as error:
            raise CommandError(str(error)) from error
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded the demo practice {demo.ORGANIZATION['name']!r}: {len(demo.TEAMS)} teams, "
                    f"{len(demo.USERS)} logins and {result.patients} synthetic patients "
                    f"in {time.monotonic() - started:.1f} s."
                )
            )
        else:
            self.stdout.write(
                f"Demo data already loaded (the practice {demo.ORGANIZATION['slug']!r} exists); nothing was added."
            )
        self.print_logins()

    def print_logins(self) -> None:
        rows = [("username", "role", "team"), *demo.login_rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for index, (username, role, team) in enumerate(rows):
            line = f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {team}"
            self.stdout.write(self.style.MIGRATE_HEADING(line) if index == 0 else line)
        self.stdout.write("")
        self.stdout.write(f"Password for every demo login: {demo.DEMO_PASSWORD}")
