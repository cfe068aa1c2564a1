# One image, two services. CMD serves ingest; the writer's Cloud Run service overrides the args
# with "writer.app:create_app_from_env()" (terraform/run.tf). Both run gunicorn with the shared
# settings in servicekit/gunicorn_conf.py.

FROM python:3.11-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml ./
# Runtime dependencies only, read from pyproject.toml: the dev extras never enter the image.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

FROM python:3.11-slim-bookworm
# WEB_CONCURRENCY x GUNICORN_THREADS: measured on one CPU (Cloud Run's 1 vCPU) with signed
# webhooks published to the Pub/Sub emulator: 1 worker x 32 threads answered the most requests
# per second; a second worker added ~74 MB and no throughput (docs/deploy.md, "Sizing").
# Cloud Run's max_instance_request_concurrency equals their product (terraform/main.tf).
ENV PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    HOST=0.0.0.0 \
    PORT=8080 \
    WEB_CONCURRENCY=1 \
    GUNICORN_THREADS=32
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY payments ./payments
COPY servicekit ./servicekit
COPY ingest ./ingest
COPY writer ./writer
COPY wix ./wix
# Bytecode compiled at build time: the non-root user cannot write it at run time.
RUN python -m compileall -q /app
USER 10001
EXPOSE 8080
ENTRYPOINT ["gunicorn", "--config", "python:servicekit.gunicorn_conf"]
CMD ["ingest.app:create_app_from_env()"]
