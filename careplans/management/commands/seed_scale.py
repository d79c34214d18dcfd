"""`manage.py seed_scale`: load N synthetic patients with full care plans, for benchmarks.

The data and the bulk loading live in `careplans.scale`. Use a database of its own:
records can never be deleted, so scale data cannot be taken out again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplans import scale


class Command(BaseCommand):
    help = (
        "Load a made-up practice of N patients (default 100,000), each with a care plan of about 60 items "
        "(a share with 250), measurements, reviews and history, into an empty database of its own "
        "(for example DATABASE_URL=.../careweave_bench). Refuses a database that has patients already. "
        "Only runs with DEBUG on, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = scale.ScaleOptions()
        parser.add_argument("--patients", type=int, default=defaults.patients, help="default %(default)s")
        parser.add_argument("--seed", type=int, default=defaults.seed, help="default %(default)s")
        parser.add_argument(
            "--teams",
            type=int,
            default=defaults.teams,
            help=f"teams sharing the patients (default: one per {scale.PATIENTS_PER_TEAM:,} patients)",
        )
        parser.add_argument(
            "--items",
            type=int,
            default=defaults.items,
            help="items in a typical plan, +-10 (default %(default)s)",
        )
        parser.add_argument(
            "--large-items",
            type=int,
            default=defaults.large_items,
            help="items in a large plan (default %(default)s)",
        )
        parser.add_argument(
            "--large-percent",
            type=float,
            default=defaults.large_percent,
            help="share of plans that are large, in percent (default %(default)s)",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=defaults.chunk,
            help=f"patients per transaction (default: {scale.CHUNK_REPLAYED} with the row triggers replayed, "
            f"{scale.CHUNK_WITH_TRIGGERS} with them firing)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=defaults.workers,
            help="loader processes side by side (default %(default)s)",
        )
        parser.add_argument(
            "--with-triggers",
            dest="replay_triggers",
            action="store_false",
            help="Let the row triggers fire on every row, as they do in the app. By default, where the "
            "database role may, they are switched off while a chunk is copied and what they write is "
            "written once per chunk (several times faster).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off. Never where real patients are.",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_scale refuses to run with DEBUG off: it creates made-up patients that can never be "
                "deleted. Use --force only on a database that will never hold real patient data."
            )
        values = {name: options[name] for name in scale.ScaleOptions.__dataclass_fields__}
        if min(values["patients"], values["workers"]) < 1 or min(values["teams"], values["chunk"]) < 0:
            raise CommandError("--patients and --workers must be at least 1, --chunk and --teams at least 0.")
        verbosity = options["verbosity"]
        try:
            result = scale.build(
                scale.ScaleOptions(**values),
                progress=self.stdout.write if verbosity >= 1 else lambda line: None,
            )
        except scale.ScaleDataConflict as error:
            raise CommandError(str(error)) from error
        if verbosity >= 2:
            for table, rows in result.rows.items():
                self.stdout.write(f"  {table:<40} {rows:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {values['patients']:,} synthetic patients: {result.total_rows:,} records and as many "
                f"history events in {result.seconds:.1f} s, then VACUUM ANALYZE in {result.analyze_seconds:.1f} s."
            )
        )
