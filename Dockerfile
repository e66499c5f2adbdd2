# Korean study-notes Q&A bot (Discord). Build:  docker build -t notesbot .
# Run:    docker run --rm -e DISCORD_TOKEN=... notesbot
# Own notes: docker run --rm -e DISCORD_TOKEN=... -v "$PWD/notes:/app/knowledge:ro" notesbot
#   (the index baked in at build time is for the shipped knowledge/; a mounted folder is re-indexed
#    into /app/.cache, which is writable by the bot's user)
# Offline smoke test of this file (no Docker engine needed): scripts/image_smoke.sh
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed numeric, non-root user: Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --gid 10001 bot \
    && useradd --no-log-init --uid 10001 --gid 10001 --create-home --home-dir /home/bot \
       --shell /usr/sbin/nologin bot

WORKDIR /app

# 1) Third-party dependencies, read from the project's own metadata: this layer is rebuilt only when
#    pyproject.toml changes, not on every code edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
       > /tmp/requirements.txt \
    && python -m pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# 2) The package itself (its dependencies are already satisfied above).
COPY bot/ ./bot/
RUN python -m pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

# 3) Notes and configuration; the index is built now, as the runtime user, so the container answers
#    from its first second and the cache stays writable for /reindex and reload.watch.
COPY knowledge/ ./knowledge/
COPY config.toml ./
RUN mkdir -p /app/.cache && chown 10001:10001 /app/.cache

USER 10001
RUN python -m bot reindex

CMD ["python", "-m", "bot", "run"]
