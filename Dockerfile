# One image for every app service (web, worker, beat, migrate); see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (care-plan PDFs) needs Pango and fonts; libharfbuzz-subset0 makes font subsetting 2-3x faster.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN useradd --create-home --uid 1000 careweave && chown careweave:careweave /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=careweave:careweave . .
USER careweave
# Writable state for beat (a volume in docker-compose.yml takes this directory's owner).
RUN mkdir -p var/beat var/media

# Settings need a secret and a database URL to import; neither is used by collectstatic. The dummy
# DATABASE_URL also keeps the settings from starting the embedded PostgreSQL used in development.
RUN DEBUG=false SECRET_KEY=collectstatic-only DATABASE_URL=postgresql://build@localhost/build \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-w", "2", "-b", "0.0.0.0:8000", "--no-control-socket", "--access-logfile", "-"]
