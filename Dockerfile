# One image, two services. CMD serves ingest; the writer's Cloud Run service overrides the args
# with "writer.app:create_app_from_env()" (terraform/run.tf). Both run gunicorn with the shared
# settings in servicekit/gunicorn_conf.py.

# The base is pinned by tag AND by the digest of its multi-architecture index, so a rebuild gets
# the same bytes; docs/dependencies.md ("The base image is pinned by digest") says how to refresh it.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.lock ./
# Runtime dependencies only, exactly as locked (`make lock`): every file is checked against its
# sha256, and nothing is resolved on the day of the build. The dev lock never enters the image.
# Then the installers go: Python 3.11's venv seeds pip and setuptools 65.5 (known CVEs), which the
# services never import, so the image holds exactly what `make audit` checked.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: -r requirements.lock \
    && /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
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
