# syntax=docker/dockerfile:1
# HEMS image: one image for the API (`hems serve`), the workers (`hems worker`) and `hems migrate`.

FROM python:3.11-slim AS build

# uv from PyPI; the environment comes from the committed uv.lock only (--frozen), without dev tools.
RUN pip install --no-cache-dir "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
COPY workers ./workers
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev \
    && /app/.venv/bin/python -m compileall -q app workers migrations


FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/app/.venv/bin:$PATH" \
    HOST=0.0.0.0 \
    PORT=8000 \
    SQLITE_PATH=/data/hems.db

RUN groupadd --system --gid 10001 hems \
    && useradd --system --uid 10001 --gid hems --home-dir /app --no-create-home hems \
    && mkdir -p /data \
    && chown hems:hems /data

WORKDIR /app
# The project is installed editable: migrations and alembic.ini are found next to `app/`.
COPY --from=build /app /app

USER hems
EXPOSE 8000
# Without DATABASE_URL/REDIS_URL `hems serve` runs the embedded default on /data/hems.db.
VOLUME ["/data"]

ENTRYPOINT ["hems"]
CMD ["serve"]
