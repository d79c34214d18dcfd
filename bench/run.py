"""`make bench` (`python -m bench.run`): issue 11's figures, each against a floor from the same run.

1. The database: `BENCH_DATABASE_URL`, else `careweave_bench` on the embedded PostgreSQL
   (`careweave_bench_<N>` for another `BENCH_PATIENTS`). It is created if missing, migrated every
   run, and seeded once with `manage.py seed_scale --patients $BENCH_PATIENTS` (default 100,000)
   when it has no scale data. Scale data can never be deleted, hence a database per size.
2. In-process figures (django.test.Client, DEBUG off): floors A and B, care-plan pages, home page
   and searches, each the median of `BENCH_ROUNDS` rounds.
3. HTTP throughput under gunicorn with wrk on loopback (skipped, and said so, without wrk).
4. bench/results.json and a table with each figure, its floor, the ratio, the budget and the verdict.

Exits 1 unless every budget was measured and met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results.json"
GUNICORN_LOG = BASE_DIR / "var" / "bench" / "gunicorn.log"
BENCH_DATABASE = "careweave_bench"
DEFAULT_PATIENTS = 100_000


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=_env_int("BENCH_PATIENTS", DEFAULT_PATIENTS))
    parser.add_argument("--rounds", type=int, default=_env_int("BENCH_ROUNDS", 15))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--http-seconds", type=int, default=_env_int("BENCH_HTTP_SECONDS", 15))
    parser.add_argument("--http-passes", type=int, default=_env_int("BENCH_HTTP_PASSES", 2))
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn + wrk part")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- the database


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_url(patients: int) -> str:
    """BENCH_DATABASE_URL, else a database on the embedded server named for its size.

    `careweave_bench` holds the default 100,000 patients, `careweave_bench_2000` a quick run's 2,000:
    scale data can never be deleted, so each size gets a database of its own.
    """
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from config.embedded_db import embedded_database_url

    name = BENCH_DATABASE if patients == DEFAULT_PATIENTS else f"{BENCH_DATABASE}_{patients}"
    return with_database(embedded_database_url(BASE_DIR), name)


def ensure_database(url: str) -> bool:
    """Create the benchmark database if it does not exist; True when it was created."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def scale_patients(url: str) -> int | None:
    """How many scale patients the database holds; None when it has no scale organization."""
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT o.id, (SELECT count(*) FROM patients_patient p WHERE p.organization_id = o.id) "
            "FROM teams_organization o WHERE o.slug = 'scale'"
        ).fetchone()
    return row[1] if row else None


def manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def prepare(url: str, patients: int) -> dict[str, Any]:
    created = ensure_database(url)
    print(f"Database: {_safe(url)}{' (created)' if created else ''}")
    manage(url, "migrate", "--no-input", "--verbosity=0")
    found = scale_patients(url)
    seeded: dict[str, Any] = {}
    if found is None:
        print(f"Seeding {patients:,} patients (once; later runs reuse them) ...")
        started = time.monotonic()
        manage(url, "seed_scale", f"--patients={patients}", "--force")
        seeded = {"patients": patients, "seconds": round(time.monotonic() - started, 1)}
        found = scale_patients(url)
    elif found != patients:
        print(
            f"Note: the database holds {found:,} scale patients, not the {patients:,} asked for; measuring "
            f"those. For another size, name a new database in BENCH_DATABASE_URL."
        )
    return {"scale_patients": found, "seeded_in_this_run": seeded}


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


# --------------------------------------------------------------------------- the machine


def _cpu_times() -> list[int]:
    with open("/proc/stat") as stat:
        return [int(n) for n in stat.readline().split()[1:]]


def machine(cpu_before: list[int]) -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor()
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        info["ram_gib"] = round(kib / 1024 / 1024, 1)
        after = _cpu_times()
        delta = [b - a for a, b in zip(cpu_before, after, strict=False)]
        total = sum(delta[:8]) or 1
        # user nice system idle iowait irq softirq steal: busy includes this benchmark's own work.
        info["cpu_busy_percent"] = round(100 * (total - delta[3] - delta[4]) / total, 1)
        info["cpu_steal_percent"] = round(100 * delta[7] / total, 1) if len(delta) > 7 else None
        info["load_average"] = [round(n, 2) for n in os.getloadavg()]
    except OSError:
        pass
    return info


def calibrate() -> float:
    """Seconds for a pure-Python loop of 10 million additions: how fast this machine is right now."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 3)


# --------------------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(BASE_DIR))
    started_at = datetime.datetime.now(datetime.UTC)
    url = database_url(args.patients)
    dataset = prepare(url, args.patients)

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from bench import pages, report

    cpu_before = _cpu_times()
    calibration = calibrate()
    subjects = pages.find_subjects()
    dataset |= {
        "panel_nurse": subjects.panel["nurse"],
        "panel_lead": subjects.panel["lead"],
        "typical_plan": {"id": str(subjects.typical.pk), "items": subjects.typical_items},
        "large_plan": {"id": str(subjects.large.pk), "items": subjects.large_items},
        "search_terms": {"name": subjects.name, "mrn": subjects.mrn, "date_of_birth": subjects.born},
    }
    print(
        f"{dataset['scale_patients']:,} scale patients; the nurse's panel {subjects.panel['nurse']:,}, "
        f"the care manager's {subjects.panel['lead']:,}; plans of {subjects.typical_items} and "
        f"{subjects.large_items} items. {args.rounds} rounds after {args.warmup} warm-up ..."
    )
    measured = pages.measure(subjects, rounds=args.rounds, warmup=args.warmup)
    figures, skipped, notes = measured.figures, measured.skipped, measured.notes

    http: dict[str, Any] = {}
    if args.no_http:
        why = "--no-http"
    else:
        http, why = measure_http(subjects, url, args, figures=figures, notes=notes)
    if why:
        print(f"HTTP part skipped: {why}")
        for key in ("http_floor_a_rps", "http_plan_rps", "http_errors"):
            skipped[key] = why

    table = report.rows(figures, notes=notes, skipped=skipped)
    warnings = report.noise_warnings(measured.samples, keys=(report.A, report.B))
    results_json = {
        "command": " ".join(["python -m bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "environment": {
            key: value for key, value in os.environ.items() if key.startswith("BENCH_") and "URL" not in key
        },
        "started_at": started_at.isoformat(timespec="seconds"),
        "git": _git(),
        "seconds": round((datetime.datetime.now(datetime.UTC) - started_at).total_seconds(), 1),
        "machine": machine(cpu_before) | {"python_loop_10m_s": calibration, "postgres": _postgres_version()},
        "dataset": dataset,
        "settings": {"rounds": args.rounds, "warmup": args.warmup, "http_seconds": args.http_seconds},
        "rows": [row.as_dict() for row in table],
        "samples_ms": measured.samples,
        "spread_ms": {key: report.spread(values) for key, values in measured.samples.items()},
        "warnings": warnings,
        "queries": measured.queries,
        "http": http,
        "explain": measured.explain,
    }
    args.output.write_text(json.dumps(results_json, indent=2) + "\n")
    print()
    print(report.format_table(table))
    print()
    for warning in warnings:
        print(f"WARNING: {warning}")
    print(f"{report.summary(table)}. Machine: {results_json['machine']}")
    print(
        f"Wrote {args.output.relative_to(BASE_DIR) if args.output.is_relative_to(BASE_DIR) else args.output}"
    )
    return 0 if report.all_met(table) else 1


def measure_http(
    subjects: Any, url: str, args: argparse.Namespace, *, figures: dict[str, Any], notes: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """Load floor A and the typical plan page under gunicorn; add the figures. Returns (wrk runs, why not)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench import load

    print(f"HTTP: gunicorn, 2 sync workers; wrk {args.http_seconds} s a run, {args.http_passes} passes ...")
    client = Client()
    client.force_login(subjects.nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    paths = {
        "floor_a": reverse("bench-floor-a"),
        "plan": reverse("careplans:plan-detail", args=[subjects.typical.pk]),
    }
    connection.close()
    results, why = load.throughput(
        paths=paths,
        cookie=cookie,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        seconds=args.http_seconds,
        passes=args.http_passes,
        log=GUNICORN_LOG,
    )
    if not results:
        return {}, why
    figures["http_floor_a_rps"] = load.median_rps(results["floor_a"])
    figures["http_plan_rps"] = load.median_rps(results["plan"])
    runs = [run for name_runs in results.values() for run in name_runs]
    figures["http_errors"] = sum(run.errors for run in runs)
    notes["http_errors"] = (
        f"{sum(run.non_2xx for run in runs)} non-2xx, {sum(run.socket_errors for run in runs)} socket/timeout"
    )
    return {name: [vars(run) | {"errors": run.errors} for run in runs] for name, runs in results.items()}, ""


def _git() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it (it is what was measured)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": commit, "uncommitted_changes": [line[3:] for line in changed if line.strip()]}


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
