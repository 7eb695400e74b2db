"""`ivr web`: the operator page, its users, and the export of label corrections."""

from __future__ import annotations

import sys

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group("web", invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on [default: IVR_WEB_HOST]")
@click.option("--port", type=int, default=None, help="Port [default: IVR_WEB_PORT]")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """The operator page: report, comments with audio, label corrections (serves without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from ivr.ops.metrics import start_metrics_server
    from ivr.store.migrations import upgrade
    from ivr.web.app import create_app

    settings: Settings = ctx.obj
    upgrade(settings.effective_database_url)
    if not settings.effective_web_users_file.exists():
        click.echo(
            f"No users yet ({settings.effective_web_users_file}): add one with `ivr web add-user`", err=True
        )
    start_metrics_server(settings.metrics_host, settings.web_metrics_port)
    uvicorn.run(create_app(settings), host=host or settings.web_host, port=port or settings.web_port)


@web.command("add-user")
@click.argument("name")
@click.option("--tenant", default=None, help="The municipality the user sees")
@click.option("--admin", is_flag=True, help="Sees every municipality and may export corrections")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
@click.pass_obj
def add_user(settings: Settings, name: str, tenant: str | None, admin: bool, password_stdin: bool) -> None:
    """Adds a user (or sets a new password): one municipality (--tenant) or --admin."""
    from ivr.web.users import UserError, UserStore

    if admin == (tenant is not None):
        raise click.UsageError("give exactly one of --tenant T (one municipality) or --admin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = UserStore(settings.effective_web_users_file).add(name, password, tenant)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.name} ({user.tenant or 'admin'}) saved in {settings.effective_web_users_file}")


@web.command("export-corrections")
@click.pass_obj
def export_corrections_command(settings: Settings) -> None:
    """Writes the operators' label corrections to NLU_DIR/data/corrections.yml for `ivr nlu train`."""
    from ivr.store.database import Database
    from ivr.web.corrections import export_corrections

    database = Database(settings.effective_database_url)
    try:
        path, count = export_corrections(database, settings.nlu_dir / "data")
    finally:
        database.dispose()
    click.echo(f"{count} corrected comments written to {path}")
