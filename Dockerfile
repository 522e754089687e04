# Multi-stage: build a wheel with its dependencies, then run as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY channels ./channels
COPY flows ./flows
COPY catalog ./catalog
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HUB_ENV=production HUB_VAR_DIR=/var/lib/hub
RUN useradd --create-home --uid 10001 hub && mkdir -p /var/lib/hub && chown hub /var/lib/hub
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY alembic.ini ./
COPY alembic ./alembic
USER hub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
