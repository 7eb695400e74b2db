"""`ivr doctor`: check every dependency the settings name; exit 1 when any check fails."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

import click

from ivr.cli.root import main
from ivr.settings import Settings

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check instead of the table")
@click.pass_obj
def doctor(settings: Settings, as_json: bool) -> None:
    """Check the database, Redis, AMI, Rasa, speech models, prompts and directories; say how to fix each
    problem. Exits 1 when anything fails (warnings do not)."""
    from ivr.ops.doctor import failed, run_doctor

    findings = asyncio.run(run_doctor(settings))
    for finding in findings:
        if as_json:
            click.echo(json.dumps(asdict(finding), ensure_ascii=False))
            continue
        click.echo(f"{MARKS[finding.status]}  {finding.name:<22} {finding.detail}")
        if finding.status != "ok" and finding.fix:
            click.echo(f"{'':<6}{'':<22} fix: {finding.fix}")
    if failed(findings):
        raise SystemExit(1)
