"""`ivr doctor`: checks every dependency the settings name and says, per check, what is wrong and the fix.

Each check gives one `Finding` (name, status ok/warn/fail, what it saw, a one-line fix). A check never raises:
whatever goes wrong becomes its finding. `fail` means a process would not work as configured; `warn` means it
works, with less than it could (or the doctor could not tell).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ivr.ami import AMIActionError, AMIAuthenticationError, AMIClient, AMIError, AMIPermissionError
from ivr.apps.callbacks import _safe_database_url, _safe_url
from ivr.apps.documents import operator_registry
from ivr.nlu.rasa_client import RasaClassifier, RasaError
from ivr.settings import Settings
from ivr.speech.recognition.base import RecognitionError
from ivr.speech.recognition.catalogue import Engine
from ivr.speech.recognition.service import engine_spec
from ivr.store.database import Database, DatabaseUrlError
from ivr.store.migrations import current_revision, head_revision

Status = Literal["ok", "warn", "fail"]
TIMEOUT_S = 5.0
# The event classes the bot and the dialer listen to (queue state, Originate outcomes), and the write class
# of Originate (callbacks). QueueStatus needs no class.
AMI_READ_CLASSES = ("call", "agent")
AMI_WRITE_CLASS = "originate"
RASA_PROBE = "Handläggaren var trevlig men jag fick vänta länge."


@dataclass(frozen=True)
class Finding:
    name: str
    status: Status
    detail: str
    fix: str = ""


Check = Callable[[Settings], Awaitable[list[Finding]]]


async def run_doctor(settings: Settings) -> list[Finding]:
    """Every check, in a fixed order (the checks are independent and run concurrently)."""
    checks: list[Check] = [
        check_database,
        check_redis,
        check_ami,
        check_rasa,
        check_speech_models,
        check_dialogs_and_prompts,
        check_directories,
        check_secrets,
        check_web,
    ]
    results = await asyncio.gather(*(_guarded(check, settings) for check in checks))
    return [finding for findings in results for finding in findings]


async def _guarded(check: Check, settings: Settings) -> list[Finding]:
    try:
        return await check(settings)
    except Exception as error:  # a bug in a check must not hide the other checks' findings
        name = check.__name__.removeprefix("check_")
        return [Finding(name, "fail", f"the check itself failed: {type(error).__name__}: {error}")]


def failed(findings: list[Finding]) -> bool:
    return any(finding.status == "fail" for finding in findings)


# ---- database ---------------------------------------------------------------------------------------------


async def check_database(settings: Settings) -> list[Finding]:
    return [await asyncio.to_thread(_database_finding, settings.effective_database_url)]


def _database_finding(url: str) -> Finding:
    shown = _safe_database_url(url)
    try:
        database = Database(url)
    except DatabaseUrlError as error:
        return Finding(
            "database", "fail", str(error), "set IVR_DATABASE_URL to sqlite:///… or postgresql://…"
        )
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(database)
    except SQLAlchemyError as error:
        return Finding(
            "database",
            "fail",
            f"cannot reach {shown}: {_first_line(error)}",
            "check IVR_DATABASE_URL (host, port, user, password, database) and that the server runs",
        )
    finally:
        database.dispose()
    return _migration_finding(shown, revision)


def _migration_finding(shown: str, revision: str | None) -> Finding:
    head = head_revision()
    if revision == head:
        return Finding("database", "ok", f"{shown} at migration {head} (head)")
    if revision is None:
        return Finding(
            "database",
            "warn",
            f"{shown} is reachable but has no tables yet",
            "run `ivr db upgrade` (`ivr serve` also migrates at start)",
        )
    if _is_known_revision(revision):
        return Finding(
            "database",
            "warn",
            f"{shown} is at migration {revision}, the code at {head}",
            "run `ivr db upgrade` (`ivr serve` also migrates at start)",
        )
    return Finding(
        "database",
        "fail",
        f"{shown} is at migration {revision}, unknown to this version of the bot (newer code wrote it)",
        "run the bot version that migrated this database, or point IVR_DATABASE_URL at another database",
    )


def _is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    from ivr.store.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return any(found.revision == revision for found in script.walk_revisions())


# ---- Redis ------------------------------------------------------------------------------------------------


async def check_redis(settings: Settings) -> list[Finding]:
    shown = _safe_url(settings.redis_url)
    try:
        redis: Redis = Redis.from_url(
            settings.redis_url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S
        )
    except ValueError as error:
        return [Finding("redis", "fail", f"{shown} is not a Redis URL: {error}", "fix IVR_REDIS_URL")]
    try:
        await redis.ping()
        return [await _eviction_finding(redis, shown)]
    except (RedisError, OSError) as error:
        return [
            Finding(
                "redis",
                "fail",
                f"cannot reach Redis at {shown}: {error}",
                "check IVR_REDIS_URL (host, port, password) and that redis-server runs",
            )
        ]
    finally:
        await redis.aclose()


async def _eviction_finding(redis: Redis, shown: str) -> Finding:
    """Callback requests and comment jobs live in Redis: a Redis that evicts keys under memory pressure
    silently loses citizens waiting for a call back."""
    fix = "set `maxmemory-policy noeviction` in redis.conf (or CONFIG SET maxmemory-policy noeviction)"
    try:
        config = await redis.config_get("maxmemory*")
    except ResponseError as error:  # managed Redis services often disable CONFIG
        return Finding("redis", "warn", f"{shown} answers; its eviction policy is unknown ({error})", fix)
    policy = str(_text(config.get("maxmemory-policy", b"")))
    limit = int(_text(config.get("maxmemory", b"0")) or 0)
    if policy == "noeviction":
        return Finding("redis", "ok", f"{shown} answers; maxmemory-policy noeviction")
    if limit == 0:
        return Finding(
            "redis",
            "warn",
            f"{shown} has no memory limit now, but maxmemory-policy {policy} would evict",
            fix,
        )
    status: Status = "fail" if policy.startswith("allkeys") else "warn"
    return Finding("redis", status, f"{shown} evicts keys when full (maxmemory-policy {policy})", fix)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# ---- AMI --------------------------------------------------------------------------------------------------


async def check_ami(settings: Settings) -> list[Finding]:
    where = f"{settings.ami_host}:{settings.ami_port}"
    if not settings.ami_secret:
        return [
            Finding(
                "ami",
                "warn",
                "IVR_AMI_SECRET is not set: the bot serves /survey only (no /inbound, no callbacks)",
                "set IVR_AMI_HOST, IVR_AMI_USER and IVR_AMI_SECRET to a user of manager.conf",
            )
        ]
    try:
        ami = AMIClient(
            settings.ami_host,
            settings.ami_port,
            settings.ami_user,
            settings.ami_secret,
            events="off",
            connect_timeout_s=TIMEOUT_S,
            action_timeout_s=TIMEOUT_S,
            reconnect=False,
            ping_interval_s=None,
        )
    except ValueError as error:
        return [Finding("ami", "fail", f"AMI settings: {error}", "fix IVR_AMI_PORT and the other IVR_AMI_*")]
    try:
        await ami.connect()
        return await _ami_permissions(ami, where, settings.ami_user)
    except AMIAuthenticationError as error:
        return [
            Finding(
                "ami",
                "fail",
                f"Asterisk at {where} refused the login of {settings.ami_user!r}: {error}",
                "set IVR_AMI_USER and IVR_AMI_SECRET to a user and secret of manager.conf",
            )
        ]
    except AMIError as error:
        return [
            Finding(
                "ami",
                "fail",
                f"cannot reach Asterisk's AMI at {where}: {error}",
                "check IVR_AMI_HOST and IVR_AMI_PORT, that Asterisk runs, and manager.conf "
                "([general] enabled = yes, bindaddr, port)",
            )
        ]
    finally:
        await ami.close()


async def _ami_permissions(ami: AMIClient, where: str, user: str) -> list[Finding]:
    """What can be checked without side effects: Originate's write class, and that app_queue answers.
    Asterisk does not tell a session which read classes it holds (it only filters the events)."""
    if not await _may_originate(ami):
        return [
            Finding(
                "ami",
                "fail",
                f"logged in to {where} as {user!r}, but it lacks write={AMI_WRITE_CLASS} (for callbacks)",
                f"give [{user}] in manager.conf read = call,agent and write = originate, then "
                "`manager reload` on the Asterisk CLI",
            )
        ]
    try:
        await ami.action_list("QueueStatus", "QueueStatusComplete")
    except AMIActionError as error:
        return [
            Finding(
                "ami",
                "fail",
                f"logged in to {where} as {user!r}, but QueueStatus fails: {error}",
                "load app_queue (`module load app_queue.so` on the Asterisk CLI) and define queues.conf",
            )
        ]
    return [
        Finding(
            "ami",
            "ok",
            f"logged in to {where} as {user!r}; write={AMI_WRITE_CLASS} and QueueStatus work "
            f"(read={','.join(AMI_READ_CLASSES)} cannot be checked over AMI: see manager.conf)",
        )
    ]


async def _may_originate(ami: AMIClient) -> bool:
    """An Originate without a channel: Asterisk checks the write class first (`Permission denied`), then
    refuses it for the missing channel; nothing is dialled either way."""
    try:
        await ami.action("Originate")
    except AMIPermissionError:
        return False
    except AMIActionError:
        return True
    return True


# ---- Rasa -------------------------------------------------------------------------------------------------


async def check_rasa(settings: Settings) -> list[Finding]:
    if settings.nlu_engine != "rasa":
        return [Finding("rasa", "ok", "not used (IVR_NLU_ENGINE=embedded classifies in-process)")]
    return [await asyncio.to_thread(_rasa_finding, settings)]


def _rasa_finding(settings: Settings) -> Finding:
    try:
        with RasaClassifier(
            settings.rasa_url, timeout_s=min(settings.rasa_timeout_s, TIMEOUT_S), attempts=1
        ) as rasa:
            result = rasa.classify(RASA_PROBE)
    except RasaError as error:
        return Finding(
            "rasa",
            "fail",
            str(error).split(". Start it")[0],
            "start Rasa (`ivr nlu serve`, or the compose service rasa) with this project's model "
            "(`ivr nlu train`), or fix IVR_RASA_URL",
        )
    return Finding(
        "rasa", "ok", f"{settings.rasa_url} classifies with this project's model ({result.sentiment})"
    )


# ---- speech models ----------------------------------------------------------------------------------------


async def check_speech_models(settings: Settings) -> list[Finding]:
    findings = []
    if settings.speech_strategy == "record":
        findings.append(_model_finding(settings, settings.answer_engine, "answers"))
    else:
        findings.append(
            Finding(
                "speech-model-answers",
                "ok",
                f"not used here (IVR_SPEECH_STRATEGY={settings.speech_strategy})",
            )
        )
    findings.append(_model_finding(settings, settings.comment_engine, "comments"))
    return findings


def _model_finding(settings: Settings, engine: Engine, use: str) -> Finding:
    spec = engine_spec(settings, engine)
    name = f"speech-model-{use}"
    try:
        spec.check()
    except RecognitionError as error:
        message = str(error)
        detail, _, fix = message.partition(". Get it with ")
        return Finding(name, "fail", detail, f"get it with {fix}" if fix else "see models/README.md")
    return Finding(name, "ok", f"{engine} model {spec.model_name} complete in {spec.model_dir}")


# ---- dialogs and prompts ----------------------------------------------------------------------------------


async def check_dialogs_and_prompts(settings: Settings) -> list[Finding]:
    return await asyncio.to_thread(_dialog_findings, settings)


def _outbound_finding(settings: Settings) -> Finding:
    from ivr.outbound.config import read_outbound_configs

    configs, problems = read_outbound_configs(settings.dialogs_dir)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        return Finding(
            "outbound-survey",
            "fail",
            f"{len(errors)} error(s) in outbound.yaml; first: {errors[0]}",
            "fix the file (its format: ivr/outbound/config.py)",
        )
    if not configs:
        return Finding("outbound-survey", "ok", "not used (no dialogs/<tenant>/outbound.yaml)")
    return Finding("outbound-survey", "ok", f"configured for {', '.join(sorted(configs))}")


def _dialog_findings(settings: Settings) -> list[Finding]:
    from ivr.speech.prompts import PromptCache
    from ivr.speech.tts import TtsError

    registry = operator_registry(settings.dialogs_dir)
    problems = registry.load()
    errors = [problem for problem in problems if problem.severity == "error"]
    dialogs = (
        Finding(
            "dialogs",
            "fail",
            f"{len(errors)} error(s) in {settings.dialogs_dir}; first: {errors[0]}",
            "fix the files (`ivr dialogs check` lists every error with file:line:col)",
        )
        if errors
        else Finding("dialogs", "ok", f"{len(registry.available())} dialogs load from {settings.dialogs_dir}")
    )
    try:
        cache = PromptCache.from_settings(settings)
    except TtsError as error:
        prompts = Finding("prompts", "fail", str(error), "set IVR_TTS_ENGINE to espeak-ng, gtts or piper")
        return [dialogs, prompts, _outbound_finding(settings)]
    missing = cache.missing(registry.prompts())
    if missing:
        first = missing[0].name or missing[0].text
        prompts = Finding(
            "prompts",
            "fail",
            f"{len(missing)} prompt(s) have no audio in {settings.effective_prompts_dir} (first: {first!r}); "
            "callers would hear silence",
            "run `ivr prompts build` with the IVR_TTS_ENGINE and IVR_TTS_VOICE the bot uses",
        )
    else:
        prompts = Finding("prompts", "ok", f"every prompt has audio in {settings.effective_prompts_dir}")
    return [dialogs, prompts, _outbound_finding(settings)]


# ---- directories ------------------------------------------------------------------------------------------


async def check_directories(settings: Settings) -> list[Finding]:
    return [
        _writable(
            "recordings-dir", settings.effective_recordings_dir, "IVR_RECORDINGS_DIR", "Asterisk and the bot"
        ),
        _writable("data-dir", settings.data_dir.absolute(), "IVR_DATA_DIR", "the bot"),
    ]


def _writable(name: str, directory: Path, setting: str, who: str) -> Finding:
    fix = f"create it and let {who} write there (chown/chmod), or point {setting} elsewhere"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".ivr-doctor-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        return Finding(name, "fail", f"{directory} is not writable by user id {os.getuid()}: {reason}", fix)
    return Finding(name, "ok", f"{directory} is writable")


def _first_line(error: BaseException) -> str:
    text_ = str(getattr(error, "orig", None) or error).strip()
    return text_.splitlines()[0] if text_ else type(error).__name__


# ---- secrets ----------------------------------------------------------------------------------------------

PLACEHOLDERS = frozenset({"", "change-me", "changeme", "secret", "password"})


async def check_secrets(settings: Settings) -> list[Finding]:
    """The caller pseudonyms are only as private as the salt: the shipped default makes them reversible by
    anyone who hashes the Swedish number series."""
    weak = [
        name
        for name, value in (
            ("IVR_CALLER_SALT", settings.caller_salt),
            ("IVR_AMI_SECRET", settings.ami_secret),
        )
        if value.strip().lower() in PLACEHOLDERS and not (name == "IVR_AMI_SECRET" and not value)
    ]
    if weak:
        return [
            Finding(
                "secrets",
                "fail",
                f"{' and '.join(weak)} still {'have' if len(weak) > 1 else 'has'} the placeholder value",
                "set each to a long random value (`openssl rand -hex 32`); a new salt gives new pseudonyms",
            )
        ]
    return [Finding("secrets", "ok", "IVR_CALLER_SALT (and IVR_AMI_SECRET, when set) are not placeholders")]


# ---- operator page ----------------------------------------------------------------------------------------


async def check_web(settings: Settings) -> list[Finding]:
    users = settings.effective_web_users_file
    if not users.is_file():
        return [
            Finding(
                "web",
                "warn",
                f"the operator page has no users yet ({users} is missing)",
                "add one with `ivr web add-user NAME --tenant TENANT` (or --admin)",
            )
        ]
    if not settings.web_secret_key:
        return [
            Finding(
                "web",
                "warn",
                "IVR_WEB_SECRET_KEY is empty: a new key at every start logs every operator out",
                "set IVR_WEB_SECRET_KEY to a long random value (`openssl rand -hex 32`)",
            )
        ]
    return [Finding("web", "ok", f"users in {users}; sessions signed with IVR_WEB_SECRET_KEY")]
