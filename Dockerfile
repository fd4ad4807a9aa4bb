FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PASAR_VAR_DIR=/app/var
COPY pyproject.toml README.md ./
COPY pasar ./pasar
COPY services ./services
COPY gateway ./gateway
COPY Procfile ./
RUN pip install . && mkdir -p /app/var
EXPOSE 8000 8001 8002 8003 8004
CMD ["pasar", "web", "gateway"]
