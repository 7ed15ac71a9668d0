"""Commands that show what the parsers and the normalizer make of saved input, without touching
the archive: ``normalize-text``, ``parse``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.options import format_option
from archive.cli.output import json_default
from archive.records import PLATFORMS


@click.command("normalize-text")
@click.argument("text")
@click.option(
    "--platform",
    default="generic",
    show_default=True,
    type=click.Choice(["generic", *PLATFORMS]),
    help="Which text rules to use (generic = the TikTok/Instagram rules).",
)
@click.option(
    "--author",
    metavar="HANDLE",
    help="The embed's author: a leading @HANDLE is then the author, not a mention.",
)
def normalize_text_cmd(text: str, platform: str, author: str | None) -> None:
    """Print, as JSON, what the normalizer makes of a caption.

    TEXT may be - to read standard input; put -- before a text that starts with -.

    \b
    Example:
      podium normalize-text "Goud op de 1000 meter! #schaatsen @femke.kok ♬ Song - Artist"
    """
    from archive.normalize import normalize_text, to_json

    if text == "-":
        text = sys.stdin.read()
    click.echo(
        json.dumps(
            to_json(normalize_text(text, platform=platform, author=author)),
            ensure_ascii=False,
            indent=2,
        )
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--platform",
    type=click.Choice([*PLATFORMS, "news"]),
    help="The payload's platform (default: detected).",
)
@format_option(("json", "ndjson"), default="json")
def parse(files: tuple[Path, ...], platform: str | None, fmt: str) -> None:
    """Print the records Podium makes of saved payloads, without touching the archive.

    FILES are saved pages, API responses, feeds or articles; the platform and kind of payload are
    detected when not given. A file that cannot be read gets a one-line reason in "error" and the
    exit status is 1; the others are still printed.

    \b
    Example:
      podium parse saved/video.html saved/feed.json --format ndjson
    """
    from archive.parse_output import empty_result, parse_file

    # Each file gets its own result, printed as soon as it is read: a file that cannot be read,
    # or a result that cannot be printed, costs that file a one-line reason, never the batch.
    failed: list[tuple[str, str]] = []
    if fmt == "json":
        click.echo("[")
    for index, path in enumerate(files):
        try:
            result = parse_file(path, platform=platform)
        except Exception as exc:  # parse_file promises not to raise; if it does, one file pays
            logging.getLogger(__name__).exception("podium parse: %s", path)
            result = empty_result(path, platform, f"internal error ({type(exc).__name__}: {exc})")
        if result.get("error"):
            failed.append((str(path), str(result["error"])))
        if fmt == "json":
            text = _printable_json(result, path, platform, failed, indent=2)
            click.echo(
                "\n".join("  " + line for line in text.splitlines())
                + ("," if index < len(files) - 1 else "")
            )
            continue
        head = {"file": result["file"], "platform": result["platform"], "kind": result["kind"]}
        if result.get("error"):
            click.echo(_printable_json({**head, "error": result["error"]}, path, platform, failed))
        for post in result.get("posts") or []:
            click.echo(_printable_json({**head, **post}, path, platform, failed))
    if fmt == "json":
        click.echo("]")
    for name, error in failed:
        click.echo(f"podium: {name}: {error}", err=True)
    if failed:
        sys.exit(1)


def _printable_json(
    value: dict[str, Any],
    path: Path,
    platform: str | None,
    failed: list[tuple[str, str]],
    indent: int | None = None,
) -> str:
    """``value`` as JSON that encodes as UTF-8; else the file's one-line reason, noted in
    ``failed``."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent, default=json_default)
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        error = f"result could not be printed ({type(exc).__name__})"
        failed.append((str(path), error))
        from archive.parse_output import empty_result

        failure = empty_result(path, platform, error)
        return json.dumps(failure, ensure_ascii=True, indent=indent)
    return text
