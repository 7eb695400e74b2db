FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ivr ./ivr
COPY dialogs ./dialogs
RUN pip install --no-cache-dir .
EXPOSE 4573
CMD ["ivr", "serve", "--host", "0.0.0.0"]
