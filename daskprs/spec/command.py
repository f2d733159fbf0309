"""A ``type: command`` step: its command line (bindings checked now, substituted at run time),
``code`` and the required ``environment``."""

from __future__ import annotations

from daskprs.spec import keys as K
from daskprs.spec.components import Node
from daskprs.spec.context import LoadContext, StepIO
from daskprs.spec.model import CommandStep
from daskprs.spec.step_common import check_bindings, code_dir_of, environment_of


def command_step(
    node: Node,
    ctx: LoadContext,
    io: StepIO,
    env_vars: dict[str, str],
) -> CommandStep:
    command = node.get("command")
    if command is None:
        node.at("command").fail("is required: the command line the step runs")
    command = K.as_str(command, node.at("command"))
    check_bindings(command, node.at("command"), io.inputs, io.unset, io.outputs)
    code_dir = None
    if node.get("code") is not None:
        code_dir = code_dir_of(node, "code")
    if node.get("environment") is None:
        node.at("environment").fail(
            "is required for a command step (Azure rejects one without it), e.g. "
            "environment: {image: python:3.11}; daskprs does not build it and runs the command "
            "in the current environment"
        )
    environment = environment_of(node, "environment")
    return CommandStep(
        name=node.name,
        source_file=node.where.file,
        command=command,
        code_dir=code_dir,
        inputs=io.inputs,
        outputs=io.outputs,
        environment_variables=env_vars,
        cloud=dict(node.cloud),
        written=node.written(),
        depends_on=io.depends,
        environment=environment,
    )
