# raci-tracker: `docker build -t raci-tracker .` then
# `docker run -p 8000:8000 -v raci-data:/data raci-tracker`; the first start prints an admin key.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A system user with no login shell: the service never needs root once installed.
RUN groupadd --system raci \
    && useradd --system --gid raci --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin raci

WORKDIR /app

# The package first, so that a change to the migrations alone reuses this layer.
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir . \
    && rm -rf build *.egg-info

# `raci serve` migrates before it serves; app/migrate.py finds these in the working directory.
COPY alembic.ini ./
COPY migrations ./migrations

RUN mkdir /data && chown raci:raci /data
ENV RACI_DATABASE_URL=sqlite:////data/raci.db
VOLUME ["/data"]

USER raci
EXPOSE 8000

# slim has no curl: the standard library asks instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["raci", "serve", "--host", "0.0.0.0", "--port", "8000"]
