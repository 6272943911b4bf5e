# syntax=docker/dockerfile:1
# fiscus API / worker image. Production runs against real PostgreSQL and Redis (see
# docker-compose.yml); the embedded servers (fiscus[embedded]) are not installed here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    FISCUS_DATA_DIR=/var/lib/fiscus \
    FISCUS_HOST=0.0.0.0 \
    FISCUS_PORT=8000

RUN useradd --system --uid 10001 --home-dir /var/lib/fiscus --shell /usr/sbin/nologin fiscus \
    && python -m venv "$VIRTUAL_ENV"

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml or the lock
# changes. The runtime dependencies only, at the versions pinned in requirements/lock.txt
# (the set CI tested).
COPY pyproject.toml ./
COPY requirements/lock.txt ./requirements/lock.txt
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -c requirements/lock.txt pip \
    && pip install -c requirements/lock.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Editable install on purpose: migrations are found next to the source
# (fiscus/persistence/migrate.py resolves alembic.ini from the checkout).
COPY README.md alembic.ini ./
COPY alembic ./alembic
COPY fiscus ./fiscus
RUN pip install --no-deps -e . \
    && python -m compileall -q fiscus alembic

# GraphiQL's JS/CSS are fetched (and integrity-checked) at build time, never at run time.
# FISCUS_NPM_REGISTRY=... --build-arg to use a mirror.
ARG FISCUS_NPM_REGISTRY=https://registry.npmjs.org
RUN FISCUS_NPM_REGISTRY="$FISCUS_NPM_REGISTRY" \
    python -m fiscus.transport.assets /var/lib/fiscus/graphiql-assets \
    && chown -R fiscus:fiscus /var/lib/fiscus

USER fiscus
EXPOSE 8000
CMD ["fiscus", "serve", "--host", "0.0.0.0"]
