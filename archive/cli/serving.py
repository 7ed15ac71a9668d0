"""The command that serves the archive to people: ``serve``."""

from __future__ import annotations

import click

from archive import config as config_mod
from archive.cli.options import db_option, parse_database_url, settings


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 127.0.0.1 keeps the pages on this machine (0.0.0.0: everyone "
    "who can reach it; there is no login).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port."
)
@db_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, db_url: str | None) -> None:
    """Browse the archive in a web browser: search, athletes, posts, status; read-only.

    Pages: / (athletes), /search (the filters of podium search, CSV/NDJSON downloads),
    /athletes/SLUG (timeline, posting rhythm, top hashtags, accounts and their health),
    /posts/ID (caption history as a diff, counts over time, articles, availability),
    /status (podium status and podium runs). The same data as JSON under /api/, described
    by /api/openapi.json. Nothing is loaded from the network; the archive is opened
    read-only. Stop with Ctrl-C.

    \b
    Examples:
      podium serve                       http://127.0.0.1:8000 on ./podium.db
      podium serve --db sqlite:///podium-demo.db --port 8080
    """
    import uvicorn

    from archive.web import create_app, read_only_engine

    s = settings(ctx, db_url)
    parse_database_url(s.database_url)
    roster = config_mod.load_roster(s.roster_path)
    engine = read_only_engine(s.database_url)
    app = create_app(engine, s, roster)
    click.echo(f"serving the archive at http://{_url_host(host)}:{port}/ (Ctrl-C stops)", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    finally:
        engine.dispose()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
