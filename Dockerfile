# livebuy gateway image: one `livebuy serve` process per container, external Redis.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LIVEBUY_HOST=0.0.0.0 \
    LIVEBUY_PORT=8000 \
    LIVEBUY_ENVIRONMENT=production

WORKDIR /app
COPY pyproject.toml README.md ./
COPY livebuy ./livebuy
COPY catalog ./catalog
COPY loadtest ./loadtest
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 livebuy

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]
CMD ["livebuy", "serve"]
