# The bot's image: one image for every ivr process of the stack (ivr serve, ivr worker, ivr callbacks run,
# ivr web, ivr doctor, ivr retention run); docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

# espeak-ng renders the prompts (`ivr prompts build`, the one-shot `prompts` service of docker-compose.yml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*

# uid/gid 1000 like the `asterisk` user of the Asterisk image (andrius/asterisk): both write and read the
# shared recordings and prompts volumes, so the files and folders one makes the other may use.
RUN groupadd --gid 1000 ivr \
    && useradd --uid 1000 --gid 1000 --create-home --home-dir /home/ivr ivr \
    && mkdir -p /var/lib/ivr/prompts /var/lib/ivr/recordings /var/lib/ivr/data \
    && chown -R ivr:ivr /var/lib/ivr

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ivr ./ivr
RUN pip install --no-cache-dir .
COPY dialogs ./dialogs
COPY nlu ./nlu

ENV IVR_DATA_DIR=/var/lib/ivr/data \
    IVR_PROMPTS_DIR=/var/lib/ivr/prompts \
    IVR_RECORDINGS_DIR=/var/lib/ivr/recordings \
    IVR_DIALOGS_DIR=/app/dialogs \
    IVR_NLU_DIR=/app/nlu \
    IVR_MODELS_DIR=/var/lib/ivr/models \
    PYTHONUNBUFFERED=1

USER ivr
# FastAGI, and the /metrics endpoints of ivr serve, callbacks run, worker, web and outbound run.
EXPOSE 4573 9101 9102 9103 9104 9105
CMD ["ivr", "serve", "--host", "0.0.0.0"]
