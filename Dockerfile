# One image, two process types: the web/API server (default) and `sfo worker`.
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SFO_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/srv/sfo/prometheus
WORKDIR /srv/sfo

# Pango draws the report PDFs (WeasyPrint).
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home --uid 10001 sfo
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY app ./app
COPY migrations ./migrations
COPY bpmn ./bpmn
COPY forms ./forms
COPY --from=frontend /build/node_modules ./node_modules
RUN pip install --no-cache-dir -e . && mkdir -p /srv/sfo/prometheus && chown -R sfo /srv/sfo

USER sfo
EXPOSE 8000
# Requires DATABASE_URL and SFO_SECRET_KEY. Run `sfo init` once per release (a job or an init container).
# Worker: docker run IMAGE sfo worker. gunicorn.conf.py (read from the working directory) preloads the
# app, so the workers share the master's imported code (a new release needs a restart, not a HUP), and
# keeps the per-worker metrics of PROMETHEUS_MULTIPROC_DIR; the app logs each request as a JSON line.
# Threaded workers (as `sfo run` uses): requests mostly wait on the database, and threads share one
# parsed model.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "4", "app:create_app()"]
