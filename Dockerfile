# Bình Lư assistant: the Telegram bot, with the bundled knowledge base and translations.
#   docker build -t binhlu-bot .
#   docker run -d --name binhlu-bot --restart unless-stopped \
#     -e TELEGRAM_BOT_TOKEN=... -e ADMIN_IDS=... -v binhlu-data:/data binhlu-bot
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATA_DIR=/data \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# dependencies first, from pinned versions, so code changes do not reinstall them
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY bot ./bot
COPY knowledge ./knowledge
COPY locales ./locales

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown 10001:10001 /data

USER 10001:10001
VOLUME ["/data"]
# the web travel guide, served when WEB_URL is set (WEB_PORT, default 8080), behind your TLS proxy
EXPOSE 8080

# healthy only while the bot really talks to Telegram (a heartbeat written on every poll)
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot", "run"]
