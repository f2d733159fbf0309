"""``daskprs job create | show | validate`` (mirrors ``az ml job create --file``) and
``daskprs env build | list | prune``.

Exit codes: 0 Completed; 1 Failed; 2 a spec error found before anything ran (or the run dir is
held by another driver); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM) — both resumable.
stdout carries the job as JSON; stderr carries progress and errors.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence

from daskprs.envs import cli as env_cli
from daskprs.errors import SpecError

EXIT_OK, EXIT_FAILED, EXIT_SPEC, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the driver is: it ends the run like Ctrl-C (status Canceled)."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daskprs", description="Run Azure ML parallel jobs on Dask, locally or on a cluster."
    )
    groups = parser.add_subparsers(dest="group", required=True)
    job = groups.add_parser("job", help="create, show or validate a job")
    cmds = job.add_subparsers(dest="command", required=True)

    create = cmds.add_parser("create", help="run a pipeline or parallel job YAML")
    create.add_argument("--file", "-f", required=True, help="pipeline.yml or a type: parallel YAML")
    create.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any key, e.g. jobs.batch_prediction.mini_batch_size=1mb (repeatable)",
    )
    create.add_argument(
        "--run-dir", help="where the run writes (default ./daskprs-runs/<name>-<UTC time>)"
    )
    create.add_argument(
        "--scheduler", help="address of an existing Dask scheduler (tcp://host:8786)"
    )
    create.add_argument("--tls-ca-file", help="CA certificate for a tls:// scheduler")
    create.add_argument("--tls-cert", help="client certificate for a tls:// scheduler")
    create.add_argument("--tls-key", help="client private key for a tls:// scheduler")
    create.add_argument("--name", help="job name (default: the YAML's name or the file stem)")
    create.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    create.add_argument(
        "--force-replan",
        action="store_true",
        help="with --resume: start over the steps whose plan or input changed (their progress "
        "is discarded) instead of refusing",
    )
    _add_overwrite(create)
    create.add_argument(
        "--no-input-cache",
        dest="input_cache",
        action="store_false",
        help="download remote input files afresh for every mini batch (no reuse of local copies)",
    )
    create.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    env_cli.add_job_flags(create)

    show = cmds.add_parser("show", help="status and per-step summary of a run, as JSON")
    show.add_argument("--run-dir", required=True)

    validate = cmds.add_parser("validate", help="check a YAML (schema, bindings, files); no run")
    validate.add_argument("--file", "-f", required=True)
    validate.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE"
    )
    _add_overwrite(validate)
    env_cli.add_env_commands(groups)
    return parser


def _add_overwrite(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--overwrite",
        action="store_true",
        help="let an output path: outside the run dir replace an existing file",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.group == "env":
            return env_cli.run_env_command(args)
        if args.command == "create":
            return _create(args)
        if args.command == "show":
            return _show(args.run_dir)
        return _validate(args)
    except SpecError as exc:
        print(f"daskprs: error: {exc}", file=sys.stderr)
        return EXIT_SPEC
    except Exception as exc:  # noqa: BLE001 - the run ended; job.json holds its final status
        if os.environ.get("DASKPRS_DEBUG"):
            raise
        print(f"daskprs: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("daskprs: (set DASKPRS_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_FAILED


def _create(args: argparse.Namespace) -> int:
    from daskprs.api import load_job, run
    from daskprs.engine.progress import Progress, TqdmProgress

    if args.resume and not args.run_dir:
        raise SpecError("--resume needs --run-dir (the run to continue)")
    if args.force_replan and not args.resume:
        raise SpecError("--force-replan goes with --resume (it discards a changed step's progress)")
    job = load_job(args.file, overrides=args.overrides)
    if args.name:
        from dataclasses import replace

        job = replace(job, name=args.name)
    progress = Progress() if args.quiet else TqdmProgress()
    security = _security(args)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = run(
            job,
            run_dir=args.run_dir,
            scheduler=args.scheduler,
            resume=args.resume,
            force_replan=args.force_replan,
            progress=progress,
            security=security,
            overwrite=args.overwrite,
            input_cache=args.input_cache,
            environments=env_cli.options_from_args(args),
        )
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"daskprs: {what}; continue with --resume --run-dir", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if result.unchanged:
        print(f"daskprs: the run in {result.run_dir} completed already", file=sys.stderr)
    print(json.dumps(result.as_dict(), indent=2, default=str))
    return EXIT_OK if result.status == "Completed" else EXIT_FAILED


def _security(args: argparse.Namespace) -> object | None:
    """TLS settings from the flags; otherwise None (dask's config, if any, applies)."""
    files = (args.tls_ca_file, args.tls_cert, args.tls_key)
    if not any(files):
        if (args.scheduler or "").startswith("tls://"):
            import dask.config

            if not dask.config.get("distributed.comm.tls.ca-file", None):
                raise SpecError(
                    f"--scheduler {args.scheduler} is a TLS address: pass --tls-ca-file, "
                    "--tls-cert and --tls-key (or set distributed.comm.tls.* in the dask config)"
                )
        return None
    if not all(files):
        raise SpecError("--tls-ca-file, --tls-cert and --tls-key go together")
    for flag, path in zip(("--tls-ca-file", "--tls-cert", "--tls-key"), files, strict=True):
        if not os.path.exists(path):
            raise SpecError(f"{flag}: no such file {path}")
    from distributed.security import Security

    return Security(
        tls_ca_file=args.tls_ca_file,
        tls_client_cert=args.tls_cert,
        tls_client_key=args.tls_key,
        require_encryption=True,
    )


def _show(run_dir: str) -> int:
    """job.json without the spec, each step's job_result.txt, and whether the driver of a
    Running job is alive. Exit 0 only for Completed, or Running with a live driver."""
    from daskprs.engine.lock import driver_alive
    from daskprs.rundir import RunDir

    rd = RunDir.at(run_dir)
    if not os.path.exists(rd.job_json):
        raise SpecError(f"no job.json in {run_dir}: not a daskprs run directory")
    with open(rd.job_json, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc.pop("spec", None)
    if doc.get("status") == "Running":
        alive, how = driver_alive(rd)
        doc["driver_alive"] = alive
        doc["driver_state"] = how
        if not alive:
            doc["status"] = "Running (driver dead)"
    for name, step in doc.get("steps", {}).items():
        result_file = rd.step(name).job_result
        if os.path.exists(result_file):
            with open(result_file, encoding="utf-8") as fh:
                step["job_result"] = fh.read().strip()
    print(json.dumps(doc, indent=2))
    return EXIT_OK if doc.get("status") in ("Completed", "Running") else EXIT_FAILED


def _validate(args: argparse.Namespace) -> int:
    from daskprs.api import load_job
    from daskprs.spec.output_paths import check_run_outputs

    job = load_job(args.file, overrides=args.overrides)
    check_run_outputs(job, None, overwrite=args.overwrite)
    print(json.dumps({"name": job.name, "valid": True, "steps": list(job.steps)}, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
