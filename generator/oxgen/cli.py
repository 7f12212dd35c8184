"""The `oxgen` command line. Commands import their machinery lazily so `oxgen --help` stays instant.

Exit codes: 0 success; 1 the check asked for failed (`generate --check` drift, `--strict` skips,
`diff` changes at or above `--fail-on`); 2 bad input or usage (a clear message, never a traceback).
"""

from __future__ import annotations

import datetime
import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from oxgen import __version__

if TYPE_CHECKING:
    from oxgen.fetch import Limits, RetryPolicy


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oxgen")
def main() -> None:
    """Generate and maintain the typed Python client for Oxen.ai's inference API."""
    from oxgen.snapshot import SnapshotWarning

    # What the core warns about (oxgen.snapshot) is shown as one line, each time it happens.
    warnings.simplefilter("always", SnapshotWarning)
    warnings.showwarning = _show_warning


_PYTHON_SHOWWARNING = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    from oxgen.snapshot import SnapshotWarning

    if issubclass(category, SnapshotWarning):
        click.echo(f"oxgen: warning: {message}", err=True)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets NaN through (every comparison with NaN is false).
    if value != value:
        raise click.BadParameter("must be a number, not NaN")
    return value


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"oxgen: error: {message}", err=True)
    sys.exit(code)


@main.command()
@click.option(
    "--schemas",
    "src",
    default="schemas",
    show_default=True,
    help="Snapshot folder or catalog file.",
)
@click.option("--out", default="generated", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--package",
    default="oxen_inference",
    show_default=True,
    help="Import name of the generated package.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the output would differ.")
@click.option(
    "--strict", is_flag=True, help="Exit 1 if any model's schema could not be turned into code."
)
@click.option(
    "--templates",
    "templates",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Folder of templates used in place of the built-in ones of the same path "
    "(see docs/templates.md).",
)
def generate(
    src: str, out: str, package: str, check: bool, strict: bool, templates: str | None
) -> None:
    """Render the client package from a schema snapshot (or catalog file)."""
    from oxgen.generate import GenerateError, run

    try:
        result = run(
            src,
            Path(out),
            package=package,
            check=check,
            templates=Path(templates) if templates else None,
        )
    except GenerateError as exc:
        _fail(str(exc))
        return
    for problem in result.problems:
        click.echo(
            f"skipped {problem.model_id} at {problem.pointer or '/'}: {problem.reason}", err=True
        )
    if check:
        if result.drift:
            for path in result.drift:
                click.echo(f"out of date: {path}", err=True)
            click.echo(
                f"{len(result.drift)} file(s) differ; run `oxgen generate` and commit.", err=True
            )
            sys.exit(1)
        click.echo(f"{out} is up to date ({result.file_count} files).")
    else:
        counts = result.counts
        click.echo(
            f"generated {counts.total} models ({counts.split()}) into {out}; files: "
            f"{result.written} written, {result.unchanged} unchanged, {result.removed} removed"
        )
    if strict and result.problems:
        click.echo(f"--strict: {len(result.problems)} model(s) could not be generated", err=True)
        sys.exit(1)


@main.command()
@click.argument("src")
@click.option("--out", default="schemas", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--rehash",
    is_flag=True,
    help="SRC is a snapshot folder edited by hand: rewrite its files and manifest hashes in place.",
)
def snapshot(src: str, out: str, rehash: bool) -> None:
    """Turn a catalog file (a models-list response saved to disk) into a snapshot folder.

    With --rehash, record deliberate edits to the snapshot folder SRC instead: every model file is
    checked, rewritten in the snapshot's JSON form and its new SHA-256 put in the manifest.
    """
    from oxgen import snapshot as snap
    from oxgen.releases import with_ledger

    try:
        if rehash:
            loaded, changed = snap.rehash(Path(src))
            for name in changed:
                click.echo(f"re-hashed {name}")
            click.echo(f"{src}: {len(loaded.models)} models, {len(changed)} file(s) re-hashed")
            return
        loaded = snap.load(src)
        snap.write_snapshot(Path(out), with_ledger(Path(out), loaded, snap.snapshot_files(loaded)))
    except (snap.SnapshotError, OSError) as exc:
        _fail(str(exc))
    click.echo(f"wrote {len(loaded.models)} models to {out}")


@main.command()
@click.option(
    "--base-url",
    default=None,
    help="API base (default: $OXEN_BASE_URL or https://hub.oxen.ai/api).",
)
@click.option("--out", default="schemas", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--deadline",
    default=600.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=86400),
    callback=_finite,
    help="Seconds the whole fetch may take (listing, every model, retries).",
)
@click.option(
    "--max-list-mb",
    default=64.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=1024 * 1024),
    callback=_finite,
    help="Largest models-list response accepted, in MB.",
)
@click.option(
    "--max-model-mb",
    default=8.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=1024 * 1024),
    callback=_finite,
    help="Largest model object accepted, in MB.",
)
def fetch(
    base_url: str | None, out: str, deadline: float, max_list_mb: float, max_model_mb: float
) -> None:
    """Refresh the snapshot from the models endpoint (API key from OXEN_API_KEY).

    Gives up, leaving the snapshot as it was, when the deadline passes or a response is larger
    than its limit.
    """
    from oxgen.fetch import MB, Limits

    limits = Limits(
        deadline=deadline,
        max_list_bytes=int(max_list_mb * MB),
        max_model_bytes=int(max_model_mb * MB),
    )
    sys.exit(run_fetch(base_url=base_url, out=Path(out), limits=limits))


def run_fetch(
    *,
    base_url: str | None,
    out: Path,
    policy: RetryPolicy | None = None,
    limits: Limits | None = None,
    today: datetime.date | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """`oxgen fetch`: reports on stderr (the summary on stdout); returns the exit code (0 done,
    1 fetch failed, 2 bad usage). `today` dates the release the fetch records (default: the
    local date); `environ` is where OXEN_API_KEY and OXEN_BASE_URL are read (default: the
    process's environment)."""
    from oxgen import fetch
    from oxgen import snapshot as snap

    env = os.environ if environ is None else environ
    api_key = env.get("OXEN_API_KEY", "").strip()
    if not api_key:
        return _say(
            "error: OXEN_API_KEY is not set; export your Oxen API key (https://www.oxen.ai) and retry",
            2,
        )
    try:
        base = fetch.base_url(base_url, env.get("OXEN_BASE_URL"))
        fetch.check_output(out)
    except fetch.FetchUsageError as exc:
        return _say(f"error: {exc}", 2)
    untouched = f"{out} was left as it was" if out.exists() else f"nothing was written to {out}"
    bar = _Progress(sys.stderr)
    try:
        try:
            done = fetch.refresh(
                base, api_key, out, policy=policy, limits=limits, today=today, progress=bar.show
            )
        finally:
            bar.close()
    except fetch.FetchFailed as exc:
        for model_id, reason in sorted(exc.failures.items()):
            _say(f"failed: {model_id}: {reason}")
        return _say(
            f"error: {len(exc.failures)} model(s) could not be fetched from {base}; {untouched}", 1
        )
    except fetch.FetchTimeout as exc:
        return _say(f"error: {exc}; {untouched}", 1)
    except fetch.FetchError as exc:
        return _say(f"error: cannot list the models at {base}/ai/models: {exc}; {untouched}", 1)
    except (snap.SnapshotError, OSError) as exc:
        return _say(f"error: {exc}; {untouched}", 1)
    except KeyboardInterrupt:
        return _say(f"interrupted; {untouched}", 1)
    click.echo(f"fetched {done.models} models from {base} into {out} ({done.changes})")
    return 0


def _say(message: str, code: int = 0) -> int:
    """`message` on stderr as ``oxgen: <message>``; returns `code` (the exit code to give)."""
    click.echo(f"oxgen: {message}", err=True)
    return code


class _Progress:
    """A one-line progress bar on a terminal; silent when the stream is not a tty."""

    def __init__(self, stream: TextIO, label: str = "fetching") -> None:
        self.stream, self.label, self.shown = stream, label, False
        self.enabled = stream.isatty()

    def show(self, done: int, total: int) -> None:
        if self.enabled:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total} models")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


@main.command("mock-server")
@click.option(
    "--schemas",
    "src",
    default="schemas",
    show_default=True,
    help="Snapshot folder or catalog file.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0: any free port. Once listening, the URL is printed on stdout (its only line).",
)
@click.option(
    "--latency", default=0.5, show_default=True, type=float, help="Seconds a generation takes."
)
@click.option("--fault-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--seed", default=None, type=int, help="Seed for repeatable faults.")
def mock_server(
    src: str, host: str, port: int, latency: float, fault_rate: float, seed: int | None
) -> None:
    """Serve a snapshot over Oxen's inference protocol on loopback."""
    from oxgen.mock import MockError, listen, serve
    from oxgen.mock import catalog as mock_catalog

    try:
        listening = listen(
            src=src, host=host, port=port, latency=latency, fault_rate=fault_rate, seed=seed
        )
    except MockError as exc:
        _fail(str(exc))
        return
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{listening.port}/api"
    counts = mock_catalog.counts(listening.state.catalog)
    click.echo(
        f"oxgen mock-server: {counts.total} models from {src} ({counts.split()}) on {url} "
        f"(latency {latency:g}s, fault rate {fault_rate:g}, seed {seed}); Ctrl-C stops",
        err=True,
    )
    # stdout carries this one line and nothing else: the socket listens already, so a script
    # that reads it (`read -r OXEN_BASE_URL < <(oxgen mock-server --port 0)`) talks to this server.
    click.echo(url)
    serve(listening)
    click.echo("oxgen mock-server: stopped", err=True)


@main.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json", "github"]), default="text"
)
@click.option(
    "--fail-on",
    type=click.Choice(["breaking", "any", "never"]),
    default="breaking",
    show_default=True,
)
@click.option("--allow", "allow_file", default=None, help="Allow-list file.")
def diff(old: str, new: str, fmt: str, fail_on: str, allow_file: str | None) -> None:
    """Compare two snapshots (folders, catalog files or git:REV[:PATH]) and judge the changes."""
    from oxgen.diff import DiffError, report, run

    try:
        result = run(old, new, allow_file)
    except DiffError as exc:
        _fail(str(exc))
        return
    except RecursionError:
        _fail("a schema is nested too deeply to compare")
        return
    click.echo(report.RENDERERS[fmt](result), nl=False)
    sys.exit(report.exit_code(result.changes, fail_on))


if __name__ == "__main__":  # pragma: no cover
    main()
