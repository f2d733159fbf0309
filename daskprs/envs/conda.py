"""Conda files as daskprs reads them: the python version, the ``pip:`` requirements verbatim,
conda packages mapped to PyPI where they are the same package, the rest reported.

Conda match specs (``numpy=1.26``, ``numpy 1.26.*``, ``conda-forge::scipy>=1.11``) become PEP
508 requirements: conda's ``=X.Y`` (any ``X.Y.*``) is ``==X.Y.*``, ``==X.Y.Z`` stays, ranges
stay, build strings are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.errors import SpecError

# conda package -> PyPI distribution, for packages that are the same software on both (the
# name differs for a few). Conda packages not listed here are reported, not installed: they
# are mostly system libraries (openssl, libgcc, mkl, cudatoolkit) a wheel carries itself.
CONDA_TO_PYPI: dict[str, str] = {
    **{
        name: name
        for name in (
            "numpy",
            "pandas",
            "scipy",
            "scikit-learn",
            "pyarrow",
            "matplotlib",
            "seaborn",
            "requests",
            "pyyaml",
            "joblib",
            "lightgbm",
            "xgboost",
            "statsmodels",
            "cloudpickle",
            "tqdm",
            "pillow",
            "fsspec",
            "psutil",
            "packaging",
            "six",
            "sqlalchemy",
            "numba",
            "networkx",
            "sympy",
            "h5py",
            "pytz",
            "python-dateutil",
            "tzdata",
            "click",
            "jinja2",
            "setuptools",
            "wheel",
            "polars",
            "duckdb",
            "pydantic",
            "pytest",
            "ipykernel",
            "openpyxl",
            "xlrd",
            "tabulate",
            "prophet",
            "catboost",
            "pmdarima",
            "shap",
            "onnx",
            "onnxruntime",
            "transformers",
            "tokenizers",
            "tensorflow",
            "keras",
            "torchvision",
            "mlflow",
            "dask",
            "distributed",
            "s3fs",
            "gcsfs",
            "adlfs",
        )
    },
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "matplotlib-base": "matplotlib",
    "pyarrow-core": "pyarrow",
    "libarrow": "pyarrow",
    "scikit-image": "scikit-image",
    "opencv": "opencv-python",
    "py-opencv": "opencv-python",
    "python-kaleido": "kaleido",
}
IGNORED = frozenset({"pip", "python"})  # pip: the builder brings its own; python: the interpreter

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*$")


@dataclass(frozen=True)
class CondaSpec:
    """What a conda file asks for, in the terms a virtual environment can be built from."""

    file: str  # the conda file (or "<inline>" in the YAML that held it)
    python: str | None  # PEP 440 specifier for the interpreter, e.g. "==3.11.*"; None: any
    python_text: str  # as written, e.g. "python=3.11" ("" when absent)
    pip: tuple[str, ...]  # the pip: entries, verbatim (options and URLs included)
    mapped: tuple[str, ...]  # conda packages as PyPI requirements (CONDA_TO_PYPI)
    unmapped: tuple[str, ...]  # conda packages that have no PyPI equivalent here, as written

    @property
    def requirements(self) -> tuple[str, ...]:
        """What the builder installs for the user: mapped conda packages, then pip entries."""
        return (*self.mapped, *self.pip)


def read_conda_file(path: str) -> CondaSpec:
    try:
        doc = safe_yaml.load_file(path)  # the size, alias and depth limits of every YAML read
    except OSError as exc:
        raise SpecError(f"cannot read the conda file: {exc}", file=path) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"the conda file is not valid YAML: {exc}", file=path) from None
    except ValueError as exc:  # YamlRefused, undecodable text
        raise SpecError(f"the conda file is refused: {exc}", file=path) from None
    return parse_conda(doc, path)


def parse_conda(doc: Any, file: str) -> CondaSpec:
    """A conda environment mapping (``name``, ``channels``, ``dependencies``) as a CondaSpec."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise SpecError("a conda file must be a mapping with dependencies: [...]", file=file)
    deps = doc.get("dependencies") or []
    if not isinstance(deps, list):
        raise SpecError("must be a list of packages (and a pip: list)", file, "dependencies")
    python, python_text = None, ""
    pip: list[str] = []
    mapped: list[str] = []
    unmapped: list[str] = []
    for i, dep in enumerate(deps):
        key = f"dependencies[{i}]"
        if isinstance(dep, dict):
            if set(dep) != {"pip"} or not isinstance(dep["pip"], list):
                raise SpecError(
                    f"a mapping here must be pip: [requirements]; got {dep!r}", file, key
                )
            for j, req in enumerate(dep["pip"]):
                if not isinstance(req, str) or not req.strip():
                    raise SpecError(
                        f"must be a requirement string; got {req!r}", file, f"{key}.pip[{j}]"
                    )
                pip.append(req.strip())
            continue
        if not isinstance(dep, str) or not dep.strip():
            raise SpecError(f"must be a package spec such as numpy=1.26; got {dep!r}", file, key)
        name, version = _split_match_spec(dep, file, key)
        if name == "python":
            python, python_text = version or None, dep.strip()
            continue
        if name in IGNORED:
            continue
        pypi = CONDA_TO_PYPI.get(name)
        if pypi is None:
            unmapped.append(dep.strip())
        else:
            mapped.append(f"{pypi}{version}")
    return CondaSpec(file, python, python_text, tuple(pip), tuple(mapped), tuple(unmapped))


def _split_match_spec(dep: str, file: str, key: str) -> tuple[str, str]:
    """(lower-case name, PEP 440 specifier or "") of a conda match spec."""
    text = dep.strip().split("::")[-1]  # channel::name
    text = text.split("[")[0].strip()  # name[build=...] selectors
    m = _NAME.match(text)
    if m is None:
        raise SpecError(f"cannot read the package spec {dep!r}", file, key)
    name, rest = m.group(1).lower(), m.group(2).strip()
    if not rest:
        return name, ""
    if "|" in rest:
        raise SpecError(
            f"{dep!r}: alternatives (|) cannot be turned into a pip requirement; pin one "
            "version range instead",
            file,
            key,
        )
    if rest[0] in "<>!~" or rest.startswith("=="):
        spec = rest.split(" ")[0]
        if spec.startswith("==") and spec.count("=") > 2:  # ==1.2=build
            spec = "==" + spec[2:].split("=")[0]
        return name, ",".join(p.strip() for p in spec.split(","))
    if rest.startswith("="):
        version = rest[1:].split("=")[0].strip()
    else:  # "numpy 1.26.*" or "numpy 1.26.4 py311_0"
        version = rest.split()[0]
        if not version.endswith("*"):
            return name, f"=={version}"
    version = version.rstrip(".*") + ".*" if version.endswith("*") else version + ".*"
    return name, f"=={version}"
