"""`ivr worker`: the comment worker (transcription and classification jobs from Redis)."""

from __future__ import annotations

import asyncio

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (e.g. in a batch job)")
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=None, help="Jobs at once (default IVR_WORKER_JOBS)"
)
@click.pass_obj
def worker(settings: Settings, burst: bool, jobs: int | None) -> None:
    """Run a comment worker: each recorded comment is transcribed, masked, classified and stored. Run as
    many as you like, on any machines sharing IVR_REDIS_URL and IVR_DATABASE_URL; each also re-enqueues
    pending comments older than IVR_COMMENT_SWEEP_AFTER_S, deletes recordings and transcripts older than
    IVR_RETENTION_DAYS once a day, and serves /metrics on IVR_WORKER_METRICS_PORT. SIGTERM finishes the jobs
    in progress."""
    from redis.exceptions import RedisError

    from ivr.comments.worker import comment_worker
    from ivr.ops.metrics import start_metrics_server

    if jobs is not None:
        settings = settings.model_copy(update={"worker_jobs": jobs})
    start_metrics_server(settings.metrics_host, settings.worker_metrics_port)
    running = comment_worker(settings, burst=burst, daily_retention=not burst)
    try:
        running.run()
    except (RedisError, OSError) as error:
        raise click.ClickException(
            f"cannot reach Redis at {settings.redis_url} ({error}); start it (scripts/setup.sh --services) "
            "or point IVR_REDIS_URL at one"
        ) from None
    finally:
        running.loop.close()  # its signal handlers go with it, here in the main thread
        asyncio.set_event_loop(None)
