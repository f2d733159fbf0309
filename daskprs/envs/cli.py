"""The command line of environments: ``job create`` flags and ``daskprs env build | list |
prune`` (called from :mod:`daskprs.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from daskprs.envs.prepare import MODES, EnvironmentWarning, EnvOptions
from daskprs.errors import SpecError


def add_job_flags(parser: argparse.ArgumentParser) -> None:
    """``--environments``, ``--env-dir`` and ``--env-python`` of ``job create``."""
    parser.add_argument(
        "--environments",
        choices=MODES,
        default="current",
        help="current: every step runs in this Python (default); build: each step's conda "
        "file becomes a cached virtual environment it runs in",
    )
    _env_dir_flag(parser)
    parser.add_argument(
        "--env-python",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="run steps whose environment is the registered azureml:NAME[:VERSION] in the "
        "Python at PATH (repeatable)",
    )


def _env_dir_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-dir",
        help="where built environments are cached (default $DASKPRS_ENV_DIR or "
        "~/.cache/daskprs/envs)",
    )


def options_from_args(args: argparse.Namespace) -> EnvOptions:
    mapping: dict[str, str] = {}
    for item in getattr(args, "env_python", []) or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise SpecError(
                f"--env-python {item!r}: expected NAME=PATH, e.g. my-env=/usr/bin/python3.11"
            )
        mapping[name.strip()] = path.strip()
    _one_line_warnings()
    return EnvOptions(mode=args.environments, env_dir=args.env_dir, env_python=mapping)


def _one_line_warnings() -> None:
    """An environment warning is one ``daskprs: warning: ...`` line on stderr."""
    previous = warnings.showwarning

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if issubclass(category, EnvironmentWarning):
            print(f"daskprs: warning: {message}", file=sys.stderr)
        else:
            previous(message, category, *args, **kwargs)

    warnings.showwarning = show


def add_env_commands(groups: Any) -> None:
    env = groups.add_parser("env", help="build, list or prune step environments")
    cmds = env.add_subparsers(dest="command", required=True)
    build = cmds.add_parser("build", help="build every environment of a job (no run)")
    build.add_argument("--file", "-f", required=True)
    build.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    build.add_argument("--scheduler", help="build on every worker of this Dask cluster instead")
    _env_dir_flag(build)
    listing = cmds.add_parser("list", help="the cached environments, as JSON")
    _env_dir_flag(listing)
    prune = cmds.add_parser("prune", help="remove cached environments")
    _env_dir_flag(prune)
    prune.add_argument(
        "--days", type=float, help="only those unused for this many days (default: all)"
    )
    prune.add_argument("--dry-run", action="store_true", help="only show what would go")


def run_env_command(args: argparse.Namespace) -> int:
    from daskprs.envs import cache

    options = EnvOptions(mode="build", env_dir=args.env_dir)
    if args.command == "list":
        print(json.dumps(cache.list_envs(options.directory), indent=2))
        return 0
    if args.command == "prune":
        removed = cache.prune(options.directory, days=args.days, dry_run=args.dry_run)
        print(json.dumps({"removed": removed, "dry_run": args.dry_run}, indent=2))
        return 0
    return _build(args, options)


def _build(args: argparse.Namespace, options: EnvOptions) -> int:
    from daskprs.api import load_job
    from daskprs.envs.prepare import prepare_environments

    job = load_job(args.file, overrides=args.overrides)
    local = args.scheduler is None
    envs = prepare_environments(
        job, options, local=local, message=lambda text: print(f"daskprs: {text}", file=sys.stderr)
    )
    if not local:
        from distributed import Client

        from daskprs.envs.cluster import WorkerBuildError, ensure_on_workers

        with Client(args.scheduler) as client:
            for env in envs.values():
                if env.remote and env.request is not None:
                    try:
                        _, env.workers = ensure_on_workers(client, env.request, options.directory)
                    except WorkerBuildError as exc:
                        print(f"daskprs: error: step {env.step}: {exc}", file=sys.stderr)
                        return 1
    print(json.dumps({name: env.as_dict() for name, env in envs.items()}, indent=2))
    return 0
