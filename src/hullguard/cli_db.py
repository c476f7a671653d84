"""`hullguard db import|update|status`: the local vulnerability database.

Exit codes: 0 done (records that failed to parse are listed, the rest imported); 1 the
database could not be written or read (a failed update leaves the old one intact; `status`
with no database); 2 a usage error or a path given to `import` that cannot be read at all;
130 interrupted. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from hullguard import progress
from hullguard.cli_options import QUIET_OPTION, format_option

if TYPE_CHECKING:
    from hullguard.config import VulnerabilityPolicy
    from hullguard.vuln.store import DbStatus

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_PROBLEMS_SHOWN = 50


def _records(count: int) -> str:
    return f"{count:,} record{'' if count == 1 else 's'}"


_db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The database file (default: [vulnerabilities].db, $HULLGUARD_DB, "
    "$XDG_CACHE_HOME/hullguard/vuln.db).",
)
_config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file."
)


@click.group("db")
def db() -> None:
    """The local vulnerability database: import files, update from OSV, show its status."""


def _policy(config_path: str | None) -> VulnerabilityPolicy:
    from hullguard.config import ConfigError, find_config, load_config

    try:
        found = Path(config_path) if config_path else find_config(Path.cwd())
        return load_config(found).vulnerabilities if found else _default_policy()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _default_policy() -> VulnerabilityPolicy:
    from hullguard.config import VulnerabilityPolicy

    return VulnerabilityPolicy()


def _resolve(db_path: Path | None, policy: VulnerabilityPolicy) -> Path:
    from hullguard.vuln.store import default_db_path

    return db_path.expanduser() if db_path else default_db_path(policy)


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"hullguard: {message}", err=True)
    sys.exit(code)


@db.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_db_option
@_config_option
@QUIET_OPTION
def import_command(paths: tuple[Path, ...], db_path: Path | None, config_path: str | None) -> None:
    """Import vulnerability data: OSV JSON/YAML files, folders of them and osv.dev all.zip
    archives; Alpine secdb JSON; Debian OVAL XML (plain or .bz2). The format is detected per
    file. Records that do not parse are listed and skipped; the rest is imported."""
    from hullguard.vuln.importers import import_paths
    from hullguard.vuln.store import DatabaseError, DatabaseWriter

    target = _resolve(db_path, _policy(config_path))
    try:
        with DatabaseWriter(target) as writer, progress.progress("Importing") as bar:

            def reading(file: Path) -> None:
                bar.update(description=f"Importing {file.name}")
                bar.advance()

            summary = import_paths(writer, paths, on_file=reading)
            bar.update(description=f"Writing {target.name}")
            status = writer.commit() if summary.records else None
    except DatabaseError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(f"interrupted; the database at {target} was left as it was", EXIT_INTERRUPTED)
    if status is not None:
        for source in status.sources:
            if source.name in summary.records:
                click.echo(f"{source.name}: {_records(source.records)}")
        click.echo(
            f"imported {summary.files} file{'' if summary.files == 1 else 's'} into {target}: "
            f"{_records(status.records)} in all, {status.size_bytes / 1e6:.1f} MB"
        )
    else:
        click.echo(f"nothing imported; {target} was not changed")
    for note in summary.notes:
        progress.note(note)
    for name in _unordered_feeds(summary.records):
        progress.note(
            f"{name}: no version order is known for this ecosystem; its records are stored "
            "but no package is matched against them"
        )
    if summary.not_affected:
        progress.note(
            f"{summary.not_affected} Alpine secdb entries under version 0 (not affected on "
            "that branch) name no vulnerable version and were not stored"
        )
    _show_problems([str(p) for p in summary.problems], "records skipped")
    for problem in summary.unreadable:
        click.echo(f"hullguard: cannot read {problem}", err=True)
    sys.exit(EXIT_USAGE if summary.unreadable else EXIT_OK)


def _unordered_feeds(records: dict[str, int]) -> list[str]:
    """The OSV feeds written whose ecosystem has no version order here (`osv:Foo`)."""
    from hullguard.versions.ecosystems import supports

    return [
        name
        for name, count in records.items()
        if count
        and name.startswith("osv:")
        and name != "osv:unknown"
        and not supports(name.removeprefix("osv:"))
    ]


def _show_problems(problems: list[str], what: str) -> None:
    if not problems:
        return
    click.echo(f"{len(problems)} {what}:", err=True)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more", err=True)


@db.command("update")
@_db_option
@click.option(
    "--ecosystem",
    "ecosystems",
    multiple=True,
    help="An OSV ecosystem to download (PyPI, Go, npm, crates.io, Maven, Debian, Alpine...); "
    "repeatable, or comma-separated.",
)
@click.option("--osv-url", help="Base URL of the OSV export (default: [vulnerabilities].osv-url).")
@click.option("--full", is_flag=True, help="Download whole archives, not only what changed.")
@_config_option
@QUIET_OPTION
def update_command(
    db_path: Path | None,
    ecosystems: tuple[str, ...],
    osv_url: str | None,
    full: bool,
    config_path: str | None,
) -> None:
    """Download OSV's per-ecosystem archives (incrementally when the database already has the
    ecosystem) and swap the new database in atomically; a failed or interrupted update leaves
    the old one intact. Ecosystems: those given, those in [vulnerabilities].ecosystems, those
    scans needed, and the OSV ones already in the database."""
    from hullguard.vuln.store import DatabaseError
    from hullguard.vuln.update import (
        UpdateError,
        check_base_url,
        ecosystems_to_update,
        osv_feeds_in,
        update_database,
    )

    policy = _policy(config_path)
    target = _resolve(db_path, policy)
    try:
        check_base_url(osv_url or policy.osv_url)
    except UpdateError as exc:
        _fail(str(exc), EXIT_USAGE)
    asked = [e.strip() for value in ecosystems for e in value.split(",") if e.strip()]
    names = ecosystems_to_update(target, asked, policy.ecosystems, osv_feeds_in(target))
    if not names:
        _fail(
            "no ecosystem to update: give --ecosystem NAME (PyPI, Go, npm, Debian, Alpine...), "
            "list them in [vulnerabilities].ecosystems, or scan an image first",
            EXIT_USAGE,
        )
    try:
        result = update_database(target, names, osv_url or policy.osv_url, full=full)
    except (UpdateError, DatabaseError) as exc:
        _fail(f"update failed: {exc}; the database at {target} was left as it was")
    except KeyboardInterrupt:
        _fail(f"interrupted; the database at {target} was left as it was", EXIT_INTERRUPTED)
    for note in result.notes:
        progress.note(note)
    for done in result.ecosystems:
        if done.mode == "current":
            click.echo(f"{done.ecosystem}: up to date")
        elif done.mode == "incremental":
            click.echo(f"{done.ecosystem}: {done.records} changed records")
        else:
            click.echo(f"{done.ecosystem}: {_records(done.records)} (whole archive)")
    if result.status is not None:
        click.echo(
            f"updated {target}: {_records(result.status.records)}, "
            f"{result.status.size_bytes / 1e6:.1f} MB"
        )
    _show_problems([str(p) for p in result.problems], "records skipped")
    sys.exit(EXIT_OK)


@db.command("status")
@_db_option
@format_option(["text", "json"], "Output format.", short=True)
@_config_option
def status_command(db_path: Path | None, fmt: str, config_path: str | None) -> None:
    """Show the database: its sources, record counts, age, schema version and size."""
    from hullguard.vuln.store import DatabaseError, VulnDB, stale_warning

    policy = _policy(config_path)
    target = _resolve(db_path, policy)
    try:
        with VulnDB.open(target) as database:
            status = database.status()
    except DatabaseError as exc:
        _fail(str(exc))
    if fmt == "json":
        document = status.to_dict()
        document["stale"] = stale_warning(status, policy.max_age_days) is not None
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(_status_text(status), nl=False)
        warning = stale_warning(status, policy.max_age_days)
        if warning:
            click.echo(f"warning: {warning}", err=True)
    sys.exit(EXIT_OK)


def _status_text(status: DbStatus) -> str:
    updated = status.updated_at.strftime("%Y-%m-%d %H:%M UTC") if status.updated_at else "never"
    age = f"{status.age_days:.1f} days ago" if status.age_days is not None else "unknown age"
    lines = [
        f"database: {status.path}",
        f"schema version: {status.schema_version}",
        f"size: {status.size_bytes / 1e6:.1f} MB",
        f"updated: {updated} ({age})",
        f"records: {status.records}",
        "",
    ]
    if status.sources:
        width = max(len(s.name) for s in status.sources)
        lines.append(f"{'source':<{width}}  {'records':>8}  {'imported':<17}  newest record")
        for source in status.sources:
            imported = source.imported_at.strftime("%Y-%m-%d %H:%M")
            newest = (source.newest_modified or "-")[:19]
            lines.append(f"{source.name:<{width}}  {source.records:>8}  {imported:<17}  {newest}")
    else:
        lines.append("no sources")
    return "\n".join(lines) + "\n"
