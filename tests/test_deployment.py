"""What production relies on: the compose file, migrations, the deploy checks, the locks and the docs of settings."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent

# Production-like settings, as docker-compose.yml sets them. The database URL is never connected to.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "careweave.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://careweave.example.org",
    "BEHIND_PROXY": "true",
    "DATABASE_URL": "postgresql://careweave@localhost:1/careweave",
}

# Warnings of `check --deploy` that are decisions for the operator, not faults of the app.
ACCEPTED_DEPLOY_WARNINGS = {
    # HSTS preload is a commitment for the whole domain and its subdomains that is hard to undo; whoever
    # owns the domain opts in (SECURE_HSTS_SECONDS and include-subdomains are on by default).
    "security.W021",
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def production_env() -> dict[str, str]:
    # tests/conftest.py allows async-unsafe ORM calls for the browser tests; production never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, **PRODUCTION_ENV}


def docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
            pytest.fail("docker-compose is missing; .ci/run installs it with apt")
        pytest.skip("docker-compose (v1, `apt-get install docker-compose`) is not installed; CI runs this")
    return path


def compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config -q` offline, ignoring any local .env and the caller's compose variables."""
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "POSTGRES_PASSWORD"}}
    return run(
        docker_compose(),
        "--env-file",
        str(empty_env_file),
        "-f",
        "docker-compose.yml",
        "config",
        "-q",
        env={**base, **env},
    )


def test_the_compose_file_is_valid_for_docker_compose_v1(tmp_path):
    result = compose_config(tmp_path, SECRET_KEY="x" * 50, POSTGRES_PASSWORD="secret")

    assert result.returncode == 0, result.stderr


def test_the_compose_file_refuses_to_start_without_a_secret_key(tmp_path):
    result = compose_config(tmp_path, POSTGRES_PASSWORD="secret")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree(capsys):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit:
        pytest.fail(f"models have changes without a migration:\n{capsys.readouterr().out}")


def test_the_deploy_check_finds_nothing_with_production_settings():
    result = run(sys.executable, "manage.py", "check", "--deploy", env=production_env())

    assert result.returncode == 0, result.stderr
    reported = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert reported <= ACCEPTED_DEPLOY_WARNINGS, result.stdout + result.stderr


def test_static_files_collect_with_production_settings_as_in_the_docker_build(tmp_path):
    """The manifest storage fails on a stylesheet that points at a missing file; find that before a build."""
    script = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "settings.STATIC_ROOT = sys.argv[1]\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('collectstatic', '--noinput', verbosity=0)\n"
    )
    result = run(sys.executable, "-c", script, str(tmp_path / "static"), env=production_env())

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def read_lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([a-z0-9][a-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
            assert match, f"{name}: {line!r} is not `name==version`"
            pins[match[1]] = match[2]
    return pins


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_the_requirement_locks_pin_every_package_and_name_no_url(name):
    text = (ROOT / name).read_text()

    assert "://" not in text
    assert read_lock(name)


def test_the_dev_lock_has_the_same_versions_as_the_production_lock():
    production, dev = read_lock("requirements.txt"), read_lock("requirements-dev.txt")

    assert {name: dev.get(name) for name in production} == production


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", source)) | set(
        re.findall(r"os\.environ(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]*)\"", source)
    )


def test_every_variable_the_settings_read_is_documented_in_env_example_and_readme():
    variables = variables_read_by_settings()
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()

    assert "SECRET_KEY" in variables
    assert {v for v in variables if not re.search(rf"^#? ?{v}=", env_example, re.M)} == set()
    assert {v for v in variables if f"`{v}`" not in readme} == set()


def test_every_long_running_service_has_a_healthcheck():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    running = {name for name, service in services.items() if service.get("restart") != "no"}
    assert running == {"web", "worker", "beat", "db", "redis", "cache"}
    assert {name for name in running if "healthcheck" in services[name]} >= {
        "web",
        "worker",
        "db",
        "redis",
        "cache",
    }
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_the_cache_holding_rendered_plans_never_writes_to_disk():
    """Cached plan sections are patient data: the cache's Redis has no volume, no snapshots and no AOF."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    cache = services["cache"]
    command = cache["command"]

    assert "volumes" not in cache
    assert command[command.index("--save") + 1] == ""
    assert command[command.index("--appendonly") + 1] == "no"
    assert services["web"]["environment"]["CACHE_URL"].startswith("redis://cache:")
