FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PASAR_VAR_DIR=/app/var
# The pinned, hashed dependencies first (a layer that changes only with the lock), then the code without
# resolving anything again; `pip check` fails the build if pyproject.toml asks for more than the lock gives.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md Procfile ./
COPY pasar ./pasar
COPY services ./services
COPY gateway ./gateway
RUN pip install --no-deps . && pip check
# Never root at run time; the named volumes (media, mail) take this ownership from the image's folders.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home pasar \
 && mkdir -p /app/var/media /app/var/mail && chown -R pasar:pasar /app/var
USER pasar
EXPOSE 8000 8001 8002 8003 8004
CMD ["pasar", "web", "gateway"]
