# The app's image (APP_IMAGE in compose.yaml): this repository with its Python packages installed
# and its static files built. Not built in CI (no container registry is reachable there);
# tests/test_production_shape.py checks that it runs the same set-up steps as scripts/setup.
#
#   docker build -t manage-your-cancer-care:latest .
#
# Two stages: the first has Node.js, only to build the static files (the NHS.UK frontend and the
# content-hashed names, scripts/build_assets.py); the image that runs has no Node.js and no
# test packages.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install --yes --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# Only the packages pyproject.toml names, not this project as a package: the app runs from /app,
# where its templates, migrations and static files are (an installed copy would not find them).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.txt
COPY scripts ./scripts
COPY static ./static
RUN /venv/bin/python scripts/build_assets.py

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 APP_ENV=production
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin mycc
WORKDIR /app
COPY --from=build /venv /venv
COPY config.py wsgi.py gunicorn.conf.py Procfile ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY service-worker ./service-worker
COPY --from=build /app/static ./static
COPY --from=build /app/built ./built
# SQLite and the task queue's SQLite file are only for development; the app still makes its
# instance folder at start, so it is the one place the app's user may write.
RUN mkdir instance && chown mycc instance
USER mycc
EXPOSE 8000
# The Procfile's web line, read from the Procfile so that its command is written in one place
# (compose.yaml names each process's command itself).
CMD ["sh", "-c", "eval \"$(sed -n 's/^web: //p' Procfile)\""]
