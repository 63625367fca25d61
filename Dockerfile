# The publisher daemon, with the web console on port 8000. Config in /config (mount your publisher.toml there, or
# set PUBLISHER_DATABASE_URL), data (SQLite, outbox) in /data. For a team with PostgreSQL see compose.yaml.
#   docker build -t publisher .
#   docker run -p 8000:8000 -v publisher-data:/data -e WEIBO_TOKEN=... publisher
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PUBLISHER_CONFIG=/config/publisher.toml

# pg_dump / pg_restore for `publisher backup` and `publisher restore` on PostgreSQL (Debian 12: version 15)
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY publisher ./publisher
COPY adapters ./adapters
RUN pip install --no-cache-dir . \
 && useradd --create-home --uid 10001 publisher \
 && mkdir -p /config /data \
 && chown -R publisher:publisher /config /data

COPY config/publisher.example.toml /app/config/publisher.example.toml
COPY docker/ /app/docker/
COPY docker/publisher.toml /config/publisher.toml

USER publisher
WORKDIR /data
VOLUME ["/config", "/data"]

# the console ([web] port in docker/publisher.toml; it listens on 0.0.0.0 inside the container)
EXPOSE 8000

# healthy when the console answers GET /healthz: no sign-in, no database, nothing created or migrated
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["publisher"]
CMD ["run"]
