"""The ``seqlab`` command: parse arguments and hand over to the module that does the work.

Start-up stays light: listing plugins or asking for help never imports torch, Lightning,
MLflow or Dash; each command imports what it needs when it runs.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

app = typer.Typer(
    help="seqlab: train sequence models as plugins, record every run in MLflow, compare them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RUN_EPILOG = (
    "Overrides are dotted key=value pairs, e.g. model=lstm task=adding strategy=bptt "
    "task.length=200 model.hidden_size=128 trainer.max_steps=500 trainer.batch_size=32 "
    "trainer.lr=0.001 seed=3. 'seqlab describe NAME' lists a component's parameters; "
    "'seqlab describe trainer' the trainer.* settings."
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error on stderr (long values cut short) and exit with ``code``."""
    from seqlab.messages import clipped

    typer.echo(f"error: {clipped(message, 500)}", err=True)
    raise typer.Exit(code)


@app.command()
def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Also build each model with its defaults and check one tiny forward pass "
            "(loads torch: a few seconds).",
        ),
    ] = False,
) -> None:
    """List plugins, the components each registers, and any that failed or break a rule."""
    from seqlab.console.listing import plugin_rows, print_plugin_table

    rows = plugin_rows(check_models=check)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        print_plugin_table(rows)


@app.command()
def describe(
    name: Annotated[
        Optional[str], typer.Argument(help="A model, task or strategy name, or 'trainer'.")
    ] = None,
) -> None:
    """Show a component's parameters with type, default, allowed values and help."""
    from seqlab.console.listing import describe_component

    try:
        describe_component(name)
    except LookupError as exc:
        fail(str(exc).strip("'\""))


@app.command(
    epilog=RUN_EPILOG,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run(
    overrides: Annotated[
        Optional[list[str]], typer.Argument(help="Dotted key=value settings.", show_default=False)
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option("--config", help="A YAML file with the same keys.")
    ] = None,
    experiment: Annotated[
        Optional[str],
        typer.Option(help="MLflow experiment (default: $MLFLOW_EXPERIMENT_NAME or seqlab)."),
    ] = None,
    progress: Annotated[
        bool,
        typer.Option(help="Show progress by step: a bar on a terminal, lines in a file or pipe."),
    ] = True,
) -> None:
    """Train one model on one task with one strategy and record it in MLflow."""
    from seqlab.registry.components import build_registry
    from seqlab.spec import SpecError, load_spec

    from seqlab.messages import shown
    from seqlab.spec import repeated_overrides

    for key, given in repeated_overrides(overrides or []).items():
        values = ", ".join(shown(value) for value in given)
        typer.echo(f"note: {key} is given {len(given)} times ({values}); the last is used", err=True)
    registry = build_registry()
    try:
        spec = load_spec(overrides or [], config, registry)
    except SpecError as exc:
        fail(str(exc))
    from seqlab.console.run_report import print_run_report
    from seqlab.run.runner import RunError, train
    from seqlab.store.status import RunStatus
    from seqlab.store.tracking import tracking_uri

    try:
        outcome = train(spec, registry, experiment=experiment, progress=progress)
    except RunError as exc:
        codes = {RunStatus.KILLED: 130, RunStatus.REFUSED: 2}
        fail(str(exc), code=codes.get(exc.status, 1))
    print_run_report(outcome, tracking_uri())


SuiteExperiment = Annotated[
    Optional[str],
    typer.Option(help="MLflow experiment (default: $MLFLOW_EXPERIMENT_NAME or the suite name)."),
]
"""The ``--experiment`` of the commands that read or write a suite's runs."""


class ExecutorChoice(str, Enum):
    """Where a sweep's runs execute."""

    local = "local"
    ray = "ray"


@app.command()
def sweep(
    suite: Annotated[
        list[str],
        typer.Argument(
            help="A built-in suite's name ('seqlab suites' lists them) or a suite YAML file; "
            "several run together on the same workers, each into its own experiment."
        ),
    ],
    size: Annotated[
        Optional[str], typer.Option(help="The suite's size to run (default: quick, if defined).")
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option(min=1, help="Local runs at once (default: the CPU cores).")
    ] = None,
    threads: Annotated[
        Optional[int],
        typer.Option(min=1, help="Torch threads per run (default: cores / workers; Ray: 1)."),
    ] = None,
    experiment: SuiteExperiment = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the expanded runs and exit.")
    ] = False,
    executor: Annotated[
        ExecutorChoice, typer.Option(help="Run in local processes or as Ray tasks.")
    ] = ExecutorChoice.local,
    address: Annotated[
        Optional[str],
        typer.Option(
            help="Ray cluster address (default: a local Ray instance); needs --executor ray."
        ),
    ] = None,
    gpus_per_run: Annotated[
        float, typer.Option(min=0, help="GPUs each Ray task reserves.")
    ] = 0.0,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help="Expand a suite of more than 10,000 runs.")
    ] = False,
) -> None:
    """Run every combination of a suite, in parallel; run it again to resume."""
    from seqlab.registry.components import build_registry
    from seqlab.sweep.builtin import resolve_suite
    from seqlab.sweep.report import print_plan, print_summary
    from seqlab.sweep.suite import SuiteError, expand, load_suite

    if address and executor is not ExecutorChoice.ray:
        fail(f"--address {address}: only with --executor ray")
    if executor is ExecutorChoice.local and not dry_run:
        from seqlab.sweep.local import start_fork_server

        start_fork_server()  # its seconds of warm-up overlap checking the suites
    registry = build_registry()
    try:  # every suite is checked before any run starts
        plans = [expand(load_suite(resolve_suite(name)), registry, size, allow_large) for name in suite]
    except SuiteError as exc:
        fail(str(exc))
    if dry_run:
        from seqlab.run.cores import usable_cores

        for plan in plans:
            print_plan(plan, workers or usable_cores())
        return
    from seqlab.sweep.launch import SweepError, run_sweeps

    try:
        reports = run_sweeps(
            plans, experiment, executor.value, workers, threads, address, gpus_per_run
        )
    except SweepError as exc:
        fail(str(exc))
    for report in reports:
        print_summary(report)
    raise typer.Exit(max(report.exit_code for report in reports))


@app.command()
def suites(
    workers: Annotated[
        Optional[int],
        typer.Option(min=1, help="Runs at once the time estimate assumes (default: the cores)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """List the built-in suites: the claims each answers, its sizes, runs and estimated time."""
    from seqlab.console.suite_listing import print_suite_table, suite_rows
    from seqlab.run.cores import usable_cores

    workers = workers or usable_cores()
    rows = suite_rows(workers)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        print_suite_table(rows, workers)


@app.command()
def evidence(
    suite: Annotated[
        str,
        typer.Argument(
            help="A built-in suite's name or a suite YAML file with an evidence: section "
            "(docs/evidence.md)."
        ),
    ],
    size: Annotated[
        Optional[str], typer.Option(help="The suite's size whose runs to judge (default: quick).")
    ] = None,
    experiment: SuiteExperiment = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    html: Annotated[
        Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    figures: Annotated[
        Optional[Path],
        typer.Option("--figures",
                     help="Also write each hypothesis' figure as a PNG into this folder."),
    ] = None,
) -> None:
    """Judge a suite's hypotheses on its finished runs: verdicts with effects and intervals.

    Exits 0 whatever the verdicts, 2 for a malformed suite or evidence: section, 1 without runs.
    """
    from seqlab.evidence.hypotheses import EvidenceError
    from seqlab.evidence.report import build_report
    from seqlab.evidence.runs import NoRunsError
    from seqlab.sweep.builtin import resolve_suite
    from seqlab.sweep.suite import SuiteError

    if figures is not None and figures.exists() and not figures.is_dir():
        fail(f"--figures={figures}: not a folder (give a folder to write the PNG files into)")
    try:
        report = build_report(resolve_suite(suite), size, experiment)
    except (SuiteError, EvidenceError) as exc:
        fail(str(exc))
    except NoRunsError as exc:
        fail(str(exc).strip("'\""), code=1)
    if html is not None:
        from seqlab.evidence.html import write_html

        write_html(report, html)
    written = []
    if figures is not None:
        from seqlab.evidence.figures.png import write_figures

        written = write_figures(report, figures)
    if as_json:
        typer.echo(report.to_json())
        return
    from seqlab.evidence.console import print_verdicts

    print_verdicts(report)
    if html is not None:
        typer.echo(f"report written to {html}")
    if figures is not None:
        typer.echo(f"{len(written)} figures written to {figures}")


@app.command()
def dash(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    debug: Annotated[
        bool, typer.Option(help="Dash debug mode (its debugger runs code: local use only).")
    ] = False,
) -> None:
    """Serve the comparison dashboard over the MLflow store (read-only).

    The store is $MLFLOW_TRACKING_URI, else ./mlruns; docs/dashboard.md has production use.
    A store that is not there is an error: the dashboard never creates one.
    """
    from seqlab_dashboard.app import StoreNotFound, create_app, store_uri

    try:
        typer.echo(f"reading {store_uri()}")
        app = create_app()
    except StoreNotFound as exc:
        fail(str(exc))
    typer.echo(f"seqlab dashboard on http://{host}:{port}  (Ctrl-C to stop)")
    app.run(host=host, port=port, debug=debug)


def main() -> None:
    """Entry point of the ``seqlab`` console script: run the command, then end the process
    without the interpreter's seconds-long teardown (:mod:`seqlab.console.quick_exit`)."""
    from seqlab.console.quick_exit import exit_now

    try:
        app(prog_name="seqlab")
    except SystemExit as stop:
        exit_now(stop.code)
    exit_now(0)


if __name__ == "__main__":
    main()
