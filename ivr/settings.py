"""One settings object for every process, read from environment variables `IVR_*` (and an optional `.env`)."""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IVR_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the bot keeps its own files by default")
    database_url: str = Field("", description="SQLAlchemy URL; empty means a SQLite file in data_dir")
    redis_url: str = "redis://127.0.0.1:6379/0"

    dialogs_dir: Path = Path("dialogs")
    prompts_dir: Path = Field(Path(""), description="Rendered prompt cache; empty means data_dir/prompts")
    recordings_dir: Path = Field(
        Path(""),
        description="Directory shared with Asterisk for RECORD FILE; empty means data_dir/recordings",
    )
    asterisk_prompts_dir: Path | None = Field(
        None,
        description="The prompts directory as Asterisk sees it, when it differs (e.g. another container)",
    )
    asterisk_recordings_dir: Path | None = Field(
        None, description="The recordings directory as Asterisk sees it, when it differs"
    )
    tts_engine: str = Field(
        "espeak-ng", description="Text-to-speech engine of the prompts: espeak-ng, gtts or piper"
    )
    tts_voice: str = Field(
        "",
        description="The engine's voice; empty means its default (espeak-ng: sv, gtts: sv, "
        "piper: sv_SE-nst-medium under models_dir)",
    )

    speech_strategy: Literal["off", "record", "asterisk-speech"] = Field(
        "record",
        description="How spoken answers reach the bot: recorded and recognised here, Asterisk's speech API, "
        "or keypad only",
    )
    models_dir: Path = Field(Path("models"), description="Where speech models live (`ivr models fetch`)")
    answer_engine: Literal["vosk", "faster-whisper"] = Field(
        "vosk", description="Recogniser for spoken answers to closed questions (with a grammar)"
    )
    comment_engine: Literal["vosk", "faster-whisper"] = Field(
        "faster-whisper", description="Recogniser for free comments"
    )
    vosk_model: str = Field(
        "vosk-model-small-sv-rhasspy-0.15", description="A directory under models_dir, or a path"
    )
    whisper_model: str = Field(
        "kb-whisper-small", description="A directory under models_dir, or a path (KBLab's Swedish Whisper)"
    )
    speech_workers: int = Field(1, ge=1, le=32, description="Recognition processes (each loads the models)")
    asterisk_speech_engine: str = Field(
        "vosk", description="The engine name SPEECH CREATE asks Asterisk for (asterisk-speech strategy)"
    )
    nlu_engine: Literal["embedded", "rasa"] = Field(
        "embedded", description="Comment classifier: in-process (embedded) or a Rasa server (rasa)"
    )
    nlu_dir: Path = Field(Path("nlu"), description="The Rasa project: config.yml, domain.yml, data/*.yml")
    rasa_url: str = Field("http://127.0.0.1:5005", description="The Rasa server `ivr nlu serve` runs")
    rasa_timeout_s: float = Field(10.0, gt=0, description="Timeout of one request to Rasa")
    rasa_attempts: int = Field(4, ge=1, le=20, description="Attempts per comment before Rasa counts as down")
    rasa_venv: Path = Field(Path(".venv-rasa"), description="Rasa's own virtualenv (scripts/setup-rasa.sh)")
    caller_salt: str = Field(
        "change-me",
        description="Salt for the pseudonym stored instead of the caller's number (keep it secret)",
    )

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    agi_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"],
        description="Comma-separated addresses or networks that may connect to the FastAGI server",
    )
    agi_env_timeout_s: float = 5.0
    agi_idle_timeout_s: float = 120.0

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "ivr"
    ami_secret: str = Field("", description="The manager.conf secret of ami_user")
    ami_events: str = Field("call,agent", description="AMI event classes the bot listens to")
    ami_action_timeout_s: float = 10.0
    ami_ping_interval_s: float = 20.0

    redis_prefix: str = "ivr"
    comment_max_tries: int = Field(
        8, ge=1, le=100, description="Tries of a comment job (transcribe, mask, classify) before it fails"
    )
    comment_retry_initial_s: float = Field(
        10.0, gt=0, description="First wait before a comment job is retried (Rasa or recogniser down)"
    )
    comment_retry_max_s: float = Field(900.0, gt=0, description="Longest wait between comment job tries")
    comment_job_timeout_s: float = Field(
        600.0, gt=0, description="A longer comment job is cancelled; a dead worker's job reruns after it"
    )
    comment_sweep_interval_s: float = Field(
        60.0, gt=0, description="How often `ivr worker` looks for pending comments that have no job"
    )
    comment_sweep_after_s: float = Field(
        300.0, ge=0, description="A pending comment this old is (re-)enqueued by the sweep"
    )
    comment_keep_result_s: float = Field(
        7 * 24 * 3600.0, ge=0, description="How long Redis keeps a finished comment job's result"
    )
    worker_jobs: int = Field(4, ge=1, le=64, description="Comment jobs one `ivr worker` runs at once")
    callback_context: str = Field(
        "callback-answered", description="Dialplan context a callback is answered into"
    )
    callback_channel: str = Field(
        "Local/{digits}@callback-out/n",  # /n keeps the Local channel, so the survey can follow the call
        description="Dial string for a callback; {digits} is the validated number",
    )
    callback_caller_id: str = Field(
        "", description='Caller ID shown to the citizen, e.g. "Kommunen" <0176...>'
    )
    callback_max_attempts: int = 3
    callback_retry_initial_s: float = 300.0
    callback_expire_after_h: float = 24.0

    web_host: str = Field("127.0.0.1", description="Where `ivr web` (the operator page) listens")
    web_port: int = Field(8080, description="Port of the operator page")
    web_users_file: Path = Field(
        Path(""), description="Users of the operator page; empty means data_dir/users.json"
    )
    web_secret_key: str = Field(
        "", description="Signs the session cookies; empty means a random key per start (logs everyone out)"
    )
    web_secure_cookies: bool = Field(
        True, description="Session cookie only over HTTPS; turn off only for a page on localhost without TLS"
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as text, or one JSON object a line (with the call's uniqueid and tenant)",
    )
    metrics_host: str = Field("127.0.0.1", description="Where the processes' Prometheus endpoints listen")
    serve_metrics_port: int = Field(
        9101, ge=0, le=65535, description="`ivr serve`'s /metrics; 0 turns it off"
    )
    callbacks_metrics_port: int = Field(
        9102, ge=0, le=65535, description="`ivr callbacks run`'s /metrics; 0 turns it off"
    )
    worker_metrics_port: int = Field(
        9103, ge=0, le=65535, description="`ivr worker`'s /metrics; 0 turns it off"
    )
    web_metrics_port: int = Field(9104, ge=0, le=65535, description="`ivr web`'s /metrics; 0 turns it off")
    retention_days: int = Field(
        90, ge=1, description="Recordings and transcripts older than this are deleted (`ivr retention run`)"
    )
    outbound_metrics_port: int = Field(
        9105, ge=0, le=65535, description="`ivr outbound run`'s /metrics; 0 turns it off"
    )
    outbound_survey_context: str = Field(
        "survey-outbound", description="Dialplan context an answered outbound survey call runs in"
    )

    @field_validator("agi_allow", mode="before")
    @classmethod
    def _split_allow(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @cached_property
    def allowed_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(entry, strict=False) for entry in self.agi_allow)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ivr.db'}"

    # Absolute, because Asterisk is given these paths and reads relative ones under its own sounds directory.
    @property
    def effective_prompts_dir(self) -> Path:
        chosen = self.prompts_dir if str(self.prompts_dir) not in ("", ".") else self.data_dir / "prompts"
        return chosen.absolute()

    @property
    def effective_web_users_file(self) -> Path:
        chosen = self.web_users_file
        return chosen if str(chosen) not in ("", ".") else self.data_dir / "users.json"

    @property
    def effective_recordings_dir(self) -> Path:
        chosen = (
            self.recordings_dir if str(self.recordings_dir) not in ("", ".") else self.data_dir / "recordings"
        )
        return chosen.absolute()
