# Production image: runtime dependencies only (requirements.lock, hash-checked), no compiler,
# no test tools. The base image is pinned by digest so a rebuild gets the same system; to move
# to a newer python:3.11-slim, replace the digest in both stages with the one printed by
# `docker buildx imagetools inspect python:3.11-slim`.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
WORKDIR /app
COPY . .
# Static files are collected at build time; nothing here is used at run time.
RUN GOMASK_ENV=production SECRET_KEY=build-only-not-used-at-run-time ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
    REDIS_URL=redis://build-only:6379/0 \
    SPECIALISTS_ENCRYPTION_KEY=YnVpbGQtb25seS1ub3QtdXNlZC1hdC1ydW4tdGltZSE= /opt/venv/bin/python manage.py collectstatic --noinput

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER nobody
EXPOSE 8000
CMD ["gunicorn", "gomask.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
