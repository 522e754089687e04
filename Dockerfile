# Multi-stage: install Hub with the exact versions and hashes of uv.lock into /opt/hub, then run as a non-root user.
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/hub
WORKDIR /src
COPY requirements-uv.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements-uv.txt
# The dependencies first, in a layer of their own that a code change does not rebuild.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-install-project --no-editable --no-cache
COPY hub ./hub
COPY channels ./channels
COPY flows ./flows
COPY catalog ./catalog
COPY reports ./reports
RUN uv sync --locked --no-editable --no-cache

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HUB_ENV=production HUB_VAR_DIR=/var/lib/hub PATH=/opt/hub/bin:$PATH
RUN useradd --create-home --uid 10001 hub && mkdir -p /var/lib/hub && chown hub /var/lib/hub
COPY --from=build /opt/hub /opt/hub
WORKDIR /app
COPY alembic.ini ./
COPY alembic ./alembic
USER hub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# `hub worker` stops within 5 s of SIGTERM when idle, right after its current job, or gives that job back after
# HUB_WORKER_GRACE_SECONDS (25): a 30 s grace period is enough.
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
