"""From a parallel step's spec to what its run needs: the fault :class:`Policy` (attempt
limits, thresholds, the item counter for lost mini batches) and the entry processes'
:class:`ProcessConfig` (the runtime arguments and environment Azure's driver gives them)."""

from __future__ import annotations

import uuid
from typing import Any

from daskprs.engine.accounting import Accounts, Thresholds
from daskprs.engine.plan import count_items
from daskprs.engine.policy import Limits, Policy
from daskprs.rundir import StepDir
from daskprs.runtime import environ
from daskprs.runtime.protocol import ProcessConfig
from daskprs.spec.bindings import fill_run_time
from daskprs.spec.model import ParallelStep
from daskprs.urls import is_remote


def build_policy(step: ParallelStep, pieces: list[Any]) -> Policy:
    thresholds = Thresholds(
        step.mini_batch_error_threshold,
        step.prs.error_threshold if step.prs.error_threshold != -1 else step.error_threshold,
        step.prs.allowed_failed_percent,
    )
    accounts = Accounts(len(pieces), append_row=bool(step.append_row_to), thresholds=thresholds)
    init_limit = 3 * max(1, step.max_concurrency_per_instance) * max(1, step.instance_count)
    limits = Limits(
        max_attempts=step.retry.max_retries + 1,
        init_failures=init_limit,
        progress_timeout=step.prs.effective_progress_update_timeout(step.retry.timeout),
    )
    by_id = {p.id: p for p in pieces}
    overhead = float(step.prs.task_overhead_timeout)
    return Policy(limits, accounts, lambda i: count_items(by_id[i], overhead))


def process_config(
    step: ParallelStep,
    paths: StepDir,
    outputs: dict[str, str],
    kind: str,
    input_paths: dict[str, str],
) -> ProcessConfig:
    folder_outputs = [
        outputs[n]
        for n, o in step.outputs.items()
        if o.type != "uri_file" and n != step.append_row_to and not is_remote(outputs[n])
    ]
    output_dir = folder_outputs[0] if folder_outputs else paths.outputs
    size = step.mini_batch_size
    if size is None:
        size = 1024 * 1024 if kind == "rows" else 10
    runtime_args = [
        "--scoring_module_name",
        step.entry_script,
        "--mini_batch_size",
        str(size),
        "--logging_level",
        step.logging_level,
        "--run_invocation_timeout",
        str(step.retry.timeout),
        "--run_max_try",
        str(step.retry.max_retries + 1),
        "--output",
        output_dir,
        "--process_count_per_node",
        str(step.max_concurrency_per_instance),
    ]
    env = dict(step.environment_variables)
    env[environ.OUTPUT_PATH] = output_dir
    env[environ.NODE_COUNT] = str(step.instance_count)
    return ProcessConfig(
        run_id=f"{step.name}-{uuid.uuid4().hex[:8]}",
        step_name=step.name,
        code_dir=step.code_dir,
        entry_script=step.entry_script,
        argv=(*runtime_args, *fill_run_time(step.program_arguments, input_paths, outputs)),
        environment=env,
        logs_dir=paths.logs,
        parts_dir=paths.parts,
        output_dir=output_dir,
        logging_level=step.logging_level,
        append_row=bool(step.append_row_to),
        dataframe_header=step.prs.append_row_dataframe_header,
        task_overhead_timeout=float(step.prs.task_overhead_timeout),
        run_timeout=float(step.retry.timeout),
        processes_per_worker=step.max_concurrency_per_instance,
        resource_monitor_interval=float(step.prs.resource_monitor_interval),
        process_memory_limit=step.prs.process_memory_limit,
        shutdown_timeout=shutdown_timeout(),
    )


def shutdown_timeout() -> float:
    """Seconds for an entry script's shutdown(): dask config ``daskprs.shutdown-timeout``
    (environment ``DASK_DASKPRS__SHUTDOWN_TIMEOUT``), default 60."""
    import dask.config

    return float(dask.config.get("daskprs.shutdown-timeout", 60.0))
