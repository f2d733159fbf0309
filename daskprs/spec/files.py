"""Paths named by a spec: made absolute, checked to exist, and the entry script checked for
a top-level ``run`` (by reading its syntax tree: the script is never imported here)."""

from __future__ import annotations

import ast
import os

from daskprs.spec.keys import Where, short
from daskprs.urls import is_remote

# folders never packed with the code (daskprs.runtime.code skips the same)
SKIP_DIRS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", ".venv", "node_modules"})


def is_azureml(path: str) -> bool:
    return path.startswith("azureml:")


def resolve_path(path: str, base_dir: str, where: Where, must_exist: bool = True) -> str:
    """An absolute local path (relative paths are relative to ``base_dir``) or the URL as is.

    ``azureml:`` data references cannot be resolved without a workspace and are refused.
    """
    if not isinstance(path, str) or not path.strip():
        where.fail(f"must be a path or URL string, got {path!r}")
    path = path.strip()
    if is_azureml(path):
        where.fail(
            f"{path!r} is an Azure ML asset reference, which needs a workspace; daskprs runs "
            "without one. Point it at a local path (relative to the YAML file) or an fsspec URL "
            "(s3://, abfs://, az://, gs://, https://) holding the same data instead"
        )
    if is_remote(path):
        return path
    if path.startswith("file://"):
        path = path[len("file://") :]
    full = os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
    if must_exist and not os.path.exists(full):
        where.fail(f"{path!r} does not exist (looked for {full})")
    return full


def check_entry_script(code_dir: str, entry_script: str, where: Where) -> None:
    """The entry script exists under ``code_dir`` (and stays there: no ``..``, no symlink out of
    it), parses, and defines a top-level ``run``. The code folder holds no symlink that leads
    out of it either (see :func:`check_code_folder`)."""
    norm = os.path.normpath(entry_script)
    if os.path.isabs(entry_script) or norm == os.pardir or norm.startswith(os.pardir + os.sep):
        where.fail(
            f"must be a path inside task.code ({code_dir}), got {short(entry_script)}: the code "
            "folder is what is shipped to the workers, and a path that leaves it would run "
            "whatever file is found there on the worker"
        )
    full = os.path.join(code_dir, norm)
    if os.path.exists(full) and not is_inside(os.path.realpath(full), os.path.realpath(code_dir)):
        where.fail(
            f"entry script {entry_script!r} is a symlink to {os.path.realpath(full)}, outside the "
            f"code folder {code_dir}; copy the file into the code folder instead"
        )
    check_code_folder(code_dir, where)
    if not os.path.isfile(full):
        where.fail(f"entry script {entry_script!r} not found in the code folder {code_dir}")
    try:
        with open(full, "rb") as fh:
            tree = ast.parse(fh.read(), filename=full)
    except SyntaxError as exc:
        where.fail(f"entry script {full} is not valid Python: line {exc.lineno}: {exc.msg}")
    if not _defines(tree, "run"):
        where.fail(
            f"entry script {full} defines no top-level run(); a parallel job's entry script "
            "needs def run(mini_batch) (and optionally init() and shutdown())"
        )


def check_code_folder(code_dir: str, where: Where) -> None:
    """No symlink under ``code_dir`` leads out of it: the folder is packed (links followed) and
    shipped to workers, so such a link would ship, or run, files the job does not own."""
    real_root = os.path.realpath(code_dir)
    stack = [code_dir]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not is_inside(target, real_root):
                        where.fail(
                            f"the code folder {code_dir} holds a symlink "
                            f"{os.path.relpath(entry.path, code_dir)} -> {target}, which leads "
                            "out of it; copy what it points at into the code folder, or pass "
                            "it as an input"
                        )
                elif entry.is_dir() and entry.name not in SKIP_DIRS:
                    stack.append(entry.path)


def is_inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies under it (both already normalized)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _defines(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == name
        ):
            return True
        if isinstance(node, ast.Assign) and any(_names(t, name) for t in node.targets):
            return True
        if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and _names(node.target, name):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == name or alias.name == "*":
                    return True
        if isinstance(node, (ast.If, ast.Try)):
            inner = ast.Module(body=[*node.body, *getattr(node, "orelse", [])], type_ignores=[])
            for handler in getattr(node, "handlers", []):
                inner.body.extend(handler.body)
            if _defines(inner, name):
                return True
    return False


def _names(target: ast.expr, name: str) -> bool:
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_names(t, name) for t in target.elts)
    return False
