"""Running a ``type: command`` step: its command line in a subprocess, bindings substituted,
``code`` as the working directory, outputs created as folders (or files' parent folders)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from typing import Any

from daskprs.atomic import write_text
from daskprs.engine.result import COMPLETED, FAILED, StepResult
from daskprs.mltable._fallback import command_environment
from daskprs.rundir import RunDir
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
    sd = RunDir(run_dir).step(step.name)
    os.makedirs(sd.logs, exist_ok=True)
    outputs: dict[str, str] = {}
    for name, out in step.outputs.items():
        path = out.path or sd.output(name)
        os.makedirs(os.path.dirname(path) if out.type == "uri_file" else path, exist_ok=True)
        outputs[name] = path
    if resume and os.path.exists(sd.completed_marker):
        return StepResult(
            step.name, COMPLETED, outputs=outputs, logs_dir=sd.logs, info={"resumed": True}
        )
    command = render_command(step.command, _inputs(step, step_outputs), outputs)
    returncode, stderr_tail = _run_shell(
        command, step.code_dir or sd.root, sd.command_log, _environment(step, interpreter)
    )
    seconds = time.monotonic() - t0
    if returncode != 0:
        cause = f"command exited with code {returncode}: {stderr_tail}".strip()
        write_text(
            sd.job_result,
            f"The command step {step.name} failed: exit code {returncode}.\n"
            f"Open {sd.command_log} first. Last lines of stderr:\n{stderr_tail}\n",
        )
        return StepResult(
            step.name, FAILED, cause, outputs=outputs, logs_dir=sd.logs, seconds=seconds
        )
    os.makedirs(sd.state, exist_ok=True)
    write_text(sd.completed_marker, "")
    write_text(sd.job_result, f"The command step {step.name} completed in {seconds:.1f} seconds.\n")
    return StepResult(
        step.name,
        COMPLETED,
        outputs=outputs,
        logs_dir=sd.logs,
        seconds=seconds,
        info={"command": command},
    )


def _inputs(step: CommandStep, step_outputs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Each input's value: an earlier step's output path, a literal, or a path."""
    inputs: dict[str, Any] = {}
    for name, spec in step.inputs.items():
        if spec.from_step is not None:
            inputs[name] = step_outputs[spec.from_step[0]][spec.from_step[1]]
        elif spec.type == "literal":
            inputs[name] = spec.value
        else:
            inputs[name] = spec.path
    return inputs


def _environment(step: CommandStep, interpreter: tuple[str, str] | None) -> dict[str, str]:
    """The driver's environment, the step's variables, and ``python`` on PATH: the interpreter
    running daskprs (the job's environment), or the step's own environment's."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in step.environment_variables.items()})
    python = interpreter[0] if interpreter else sys.executable
    env["PATH"] = os.path.dirname(python) + os.pathsep + env.get("PATH", "")
    if interpreter:
        env["VIRTUAL_ENV"] = os.path.dirname(os.path.dirname(python))
        env["PYTHONPATH"] = interpreter[1]
        env.pop("PYTHONHOME", None)
    return command_environment(env)  # `import mltable` -> daskprs.mltable if it is missing


def _run_shell(command: str, cwd: str, log_path: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with bash; stdout, then stderr, into ``log_path``. (exit code, the last
    lines of stderr)."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.PIPE,
            check=False,
        )
        log.write(proc.stderr)
    return proc.returncode, "\n".join(
        proc.stderr.decode("utf-8", "replace").splitlines()[-TAIL_LINES:]
    )
