# livebuy gateway image: `livebuy serve` (one gateway process per usable CPU, see --workers), external Redis.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LIVEBUY_HOST=0.0.0.0 \
    LIVEBUY_PORT=8000 \
    LIVEBUY_ENVIRONMENT=production \
    LIVEBUY_DATA_DIR=/var/lib/livebuy

# The live demo video runs ffmpeg, whose drawtext filter finds the `monospace` font through
# fontconfig (livebuy/video/encoder.py). Versions are not pinned: Debian's mirrors keep only the
# current security build, so a pinned version would break the build at the next ffmpeg update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY livebuy ./livebuy
COPY catalog ./catalog
COPY loadtest ./loadtest
# The video encoder writes its segments under LIVEBUY_DATA_DIR before publishing them to Redis.
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 livebuy \
    && mkdir -p /var/lib/livebuy \
    && chown 10001 /var/lib/livebuy

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('LIVEBUY_PORT', '8000'), timeout=2).status != 200)"]
CMD ["livebuy", "serve"]
