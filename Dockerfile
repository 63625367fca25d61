# The publisher daemon. Config in /config (mount your publisher.toml there), data (SQLite, outbox) in /data.
#   docker build -t publisher .
#   docker run -v $PWD/config:/config -v publisher-data:/data -e WEIBO_TOKEN=... publisher
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PUBLISHER_CONFIG=/config/publisher.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY publisher ./publisher
COPY adapters ./adapters
RUN pip install --no-cache-dir . \
 && useradd --create-home --uid 10001 publisher \
 && mkdir -p /config /data \
 && chown -R publisher:publisher /config /data

COPY config/publisher.example.toml /app/config/publisher.example.toml
COPY docker/publisher.toml /config/publisher.toml

USER publisher
WORKDIR /data
VOLUME ["/config", "/data"]

# healthy when the configuration loads and the database answers
HEALTHCHECK --interval=60s --timeout=10s --start-period=20s --retries=3 \
  CMD ["publisher", "channel", "list", "--json"]

ENTRYPOINT ["publisher"]
CMD ["run"]
