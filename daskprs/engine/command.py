"""Running a ``type: command`` step: its command line in a subprocess, bindings substituted,
``code`` as the working directory, outputs created as folders (or files' parent folders)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from typing import Any

from daskprs.engine.step import COMPLETED, FAILED, StepResult
from daskprs.mltable._fallback import command_environment
from daskprs.spec.bindings import Binding, resolve_optional, substitute
from daskprs.spec.model import CommandStep

TAIL_LINES = 20


def render_command(command: str, inputs: dict[str, Any], outputs: dict[str, str]) -> str:
    """Substitute ``${{inputs.x}}`` / ``${{outputs.x}}``; drop ``$[[...]]`` segments whose
    inputs are unset. Values are shell-quoted. The grammar is :mod:`daskprs.spec.bindings`'s
    (the parser checked the command with it); ``${{name}}`` and the like are left as written."""

    def value_of(b: Binding) -> Any:
        if b.scope != "self":
            return None
        return (inputs if b.kind == "inputs" else outputs).get(b.name)

    def sub(b: Binding) -> str | None:
        if b.scope != "self":
            return None
        value = value_of(b)
        if value is None:
            raise KeyError(f"{b} is not bound")
        return shlex.quote(str(value))

    text = resolve_optional(command, lambda b: b.scope != "self" or value_of(b) is not None)
    return substitute(text, sub)


def run_command_step(
    step: CommandStep,
    run_dir: str,
    step_outputs: dict[str, dict[str, str]],
    *,
    resume: bool = False,
    interpreter: tuple[str, str] | None = None,
) -> StepResult:
    """``interpreter``: (python, PYTHONPATH) of the step's own environment (daskprs.envs):
    its bin/ goes first on PATH."""
    t0 = time.monotonic()
    step_dir = os.path.join(run_dir, step.name)
    logs_dir = os.path.join(step_dir, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    done_marker = os.path.join(step_dir, "state", "completed")
    outputs: dict[str, str] = {}
    for name, out in step.outputs.items():
        path = out.path or os.path.join(step_dir, "outputs", name)
        os.makedirs(os.path.dirname(path) if out.type == "uri_file" else path, exist_ok=True)
        outputs[name] = path
    if resume and os.path.exists(done_marker):
        return StepResult(
            step.name, COMPLETED, outputs=outputs, logs_dir=logs_dir, info={"resumed": True}
        )
    inputs: dict[str, Any] = {}
    for name, spec in step.inputs.items():
        if spec.from_step is not None:
            inputs[name] = step_outputs[spec.from_step[0]][spec.from_step[1]]
        elif spec.type == "literal":
            inputs[name] = spec.value
        else:
            inputs[name] = spec.path
    command = render_command(step.command, inputs, outputs)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in step.environment_variables.items()})
    # `python` in a command is the interpreter running daskprs (the job's environment), or
    # the step's own environment's
    python = interpreter[0] if interpreter else sys.executable
    env["PATH"] = os.path.dirname(python) + os.pathsep + env.get("PATH", "")
    if interpreter:
        env["VIRTUAL_ENV"] = os.path.dirname(os.path.dirname(python))
        env["PYTHONPATH"] = interpreter[1]
        env.pop("PYTHONHOME", None)
    env = command_environment(env)  # `import mltable` -> daskprs.mltable if mltable is missing
    stdout_path = os.path.join(logs_dir, "user_logs", "std_log.txt")
    os.makedirs(os.path.dirname(stdout_path), exist_ok=True)
    with open(stdout_path, "wb") as log:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=step.code_dir or step_dir,
            env=env,
            stdout=log,
            stderr=subprocess.PIPE,
            check=False,
        )
        log.write(proc.stderr)
    stderr_tail = "\n".join(proc.stderr.decode("utf-8", "replace").splitlines()[-TAIL_LINES:])
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        cause = f"command exited with code {proc.returncode}: {stderr_tail}".strip()
        with open(os.path.join(logs_dir, "job_result.txt"), "w", encoding="utf-8") as fh:
            fh.write(f"The command step {step.name} failed: exit code {proc.returncode}.\n")
            fh.write(f"Open {stdout_path} first. Last lines of stderr:\n{stderr_tail}\n")
        return StepResult(
            step.name, FAILED, cause, outputs=outputs, logs_dir=logs_dir, seconds=seconds
        )
    os.makedirs(os.path.dirname(done_marker), exist_ok=True)
    open(done_marker, "w").close()
    with open(os.path.join(logs_dir, "job_result.txt"), "w", encoding="utf-8") as fh:
        fh.write(f"The command step {step.name} completed in {seconds:.1f} seconds.\n")
    return StepResult(
        step.name,
        COMPLETED,
        outputs=outputs,
        logs_dir=logs_dir,
        seconds=seconds,
        info={"command": command},
    )
