# The Python image for the api, worker and simulator services of docker-compose.yml.
# Runtime dependencies only, pinned by constraints.txt (the same pins as .venv and CI).

# GraphiQL's browser builds come from the npm registry at build time (pinned by the lock file,
# install scripts off); only its node_modules reach the final image, not Node itself.
FROM node:20-slim AS graphiql
WORKDIR /graphiql
COPY web/graphiql/package.json web/graphiql/package-lock.json web/graphiql/.npmrc ./
RUN npm ci --omit=dev

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so editing the source does not reinstall them. The list comes from
# pyproject.toml's [project].dependencies (no dev extras); constraints.txt pins every version.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

# The source runs from /app (PYTHONPATH), not as an installed package, so data files beside the
# modules (schema/schema.graphql, migrations/) are found where the code expects them.
COPY . .
COPY --from=graphiql /graphiql/node_modules web/graphiql/node_modules

RUN useradd --create-home --uid 10001 quarry
USER quarry

EXPOSE 8000 8900
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--ws-max-size", "1048576"]
