"""Hostile or broken YAML is a spec error (exit 2), found quickly, with a short message
(issue 17, points 4 and 6)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

import daskprs
import daskprs.safe_yaml as safe_yaml
from daskprs.cli import main
from daskprs.data.mltable_spec import load_mltable
from daskprs.errors import MLTableError, PipelineSpecError
from tests.helpers.jobs import JobFolder

pytestmark = pytest.mark.timeout(60)  # a hang guard: each case takes well under a second


def bomb(levels: int, width: int = 9, indent: str = "  ") -> str:
    """Nested anchors: ``levels`` levels of ``width`` aliases each (9**levels leaves)."""
    lines = [f"{indent}a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def folder(tmp_path) -> JobFolder:
    """job.yml (a standalone parallel job) and pipeline.yml (the same step in a pipeline,
    whose ``settings:`` accept any key, as Azure's do)."""
    jf = JobFolder(tmp_path / "job")
    jf.table(rows=20)
    jf.script("def run(mini_batch):\n    return mini_batch\n")
    step = yaml.safe_load(jf.parallel_yaml({"type": "mltable", "path": "./table"}).read_text())
    del step["name"]
    pipeline = {"type": "pipeline", "name": "p", "jobs": {"job": step}}
    (jf.root / "pipeline.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    return jf


@pytest.fixture
def validate(capsys):
    """``daskprs job validate`` in this process: (exit code, stderr)."""

    def run(yml, *extra: str) -> subprocess.CompletedProcess:
        code = main(["job", "validate", "--file", str(yml), *extra])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([], code, out, err)

    return run


@pytest.mark.parametrize("key", ["settings", "tags"])
def test_an_alias_bomb_is_refused(folder, key, validate):
    yml = folder.root / "pipeline.yml"
    text = yml.read_text()
    yml.write_text(text + f"{key}:\n" + bomb(9))  # 478 bytes; 9**9 leaves when expanded
    proc = validate(yml)
    assert proc.returncode == 2, proc.stderr
    assert "aliases expanded" in proc.stderr and "line" in proc.stderr
    assert len(proc.stderr) < 2000


def test_a_moderate_bomb_is_refused_before_it_reaches_job_json(folder, validate):
    # 5 levels of 9 is a few hundred KB expanded: accepted; 7 levels (19 MB expanded) is not
    yml = folder.root / "pipeline.yml"
    base = yml.read_text()
    yml.write_text(base + "settings:\n" + bomb(5))
    assert validate(yml).returncode == 0
    yml.write_text(base + "settings:\n" + bomb(7))
    with pytest.raises(PipelineSpecError, match="larger than 10 MB"):
        daskprs.load_job(yml)


def test_too_many_aliases(folder):
    yml = folder.root / "pipeline.yml"
    many = ", ".join(["*x"] * (safe_yaml.MAX_ALIASES + 1))
    yml.write_text(yml.read_text() + f"settings:\n  x: &x 1\n  y: [{many}]\n")
    with pytest.raises(PipelineSpecError, match=r"more than 1000 aliases \(\*name\) \(line \d+\)"):
        daskprs.load_job(yml)


def test_a_recursive_alias_is_refused(folder):
    yml = folder.root / "pipeline.yml"
    yml.write_text(yml.read_text() + "settings:\n  loop: &loop [1, *loop]\n")
    with pytest.raises(PipelineSpecError, match=r"alias \*loop refers to a node that holds it"):
        daskprs.load_job(yml)


@pytest.mark.parametrize("depth, error", [(150, "nested more than 100 levels"), (5000, "nesting")])
def test_deep_nesting_is_refused(folder, depth, error):
    yml = folder.root / "pipeline.yml"
    yml.write_text(yml.read_text() + "settings:\n  deep: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(PipelineSpecError, match=error):
        daskprs.load_job(yml)


def test_ordinary_anchors_and_merge_keys_still_work(folder):
    yml = folder.root / "job.yml"
    doc = yaml.safe_load(yml.read_text())
    text = yaml.safe_dump(doc).replace("retry_settings:", "retry_settings: &retry")
    text += "tags: &t {owner: me}\nproperties: {<<: *t, team: data}\n"
    yml.write_text(text)
    job = daskprs.load_job(yml)
    assert job.raw["properties"] == {"owner": "me", "team": "data"}


def test_a_file_over_the_size_limit_is_refused_unparsed(folder, validate):
    yml = folder.root / "job.yml"
    with open(yml, "a") as fh:
        fh.write("# " + "x" * safe_yaml.MAX_YAML_BYTES + "\n")
    proc = validate(yml)
    assert proc.returncode == 2 and "larger than 10 MB" in proc.stderr


def test_dev_urandom_is_a_spec_error(validate):
    proc = validate("/dev/urandom")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "/dev/urandom" in proc.stderr


def test_non_utf8_yaml_names_the_byte_offset(folder, validate):
    yml = folder.root / "job.yml"
    data = yml.read_bytes()
    bad = data.replace(b"name: job", b"name: j\xe9b")
    yml.write_bytes(bad)
    proc = validate(yml)
    assert proc.returncode == 2, proc.stderr
    offset = bad.index(b"\xe9")
    line = bad[:offset].count(b"\n") + 1
    assert f"byte 0xe9 at byte offset {offset} (line {line})" in proc.stderr
    assert str(yml) in proc.stderr


def test_non_utf8_mltable_names_the_byte_offset(folder):
    mltable = folder.root / "table" / "MLTable"
    mltable.write_bytes(b"# caf\xe9\n" + mltable.read_bytes())
    with pytest.raises(MLTableError, match=r"byte 0xe9 at byte offset 5 \(line 1\)") as err:
        load_mltable(str(folder.root / "table"))
    assert err.value.file.endswith("MLTable")


def test_an_alias_bomb_in_an_mltable_is_refused(folder):
    mltable = folder.root / "table" / "MLTable"
    mltable.write_text(mltable.read_text() + "extra:\n" + bomb(8))
    with pytest.raises(MLTableError, match="aliases expanded"):
        load_mltable(str(folder.root / "table"))


def test_an_alias_bomb_in_set_is_refused(folder, validate):
    value = "[" + ", ".join(["*a"] * 9) + "]"
    many = "{a: &a [1,2,3,4,5,6,7,8,9], b: " + ", ".join([value] * 200) + "}"
    proc = validate(folder.root / "pipeline.yml", "--set", f"settings.x={many}")
    assert proc.returncode == 2 and "more than 1000 aliases" in proc.stderr


@pytest.mark.parametrize(
    "key, value",
    [
        ("tags", {"big": ["x" * 100] * 2000}),  # a list where a string belongs
        ("description", {"k": "v" * 200_000}),
        ("mini_batch_size", "9" * 200_000 + "kb"),
        ("logging_level", "X" * 200_000),
    ],
)
def test_quoted_values_are_cut(folder, key, value, validate):
    yml = folder.root / "job.yml"
    doc = yaml.safe_load(yml.read_text())
    doc[key] = value
    yml.write_text(yaml.safe_dump(doc))
    proc = validate(yml)
    assert proc.returncode == 2
    message = proc.stderr.strip()
    assert len(message) < 1000 + len(str(yml)) + 100, message[:3000]


def test_a_huge_key_is_cut_too(folder, validate):
    yml = folder.root / "job.yml"
    yml.write_text(yml.read_text() + "? " + "K" * 100_000 + "\n: 1\n")  # an explicit key
    proc = validate(yml)
    assert proc.returncode == 2 and len(proc.stderr) < 1500 + len(str(yml))


def test_the_mltable_api_refuses_bombs_and_bad_bytes(folder):
    """daskprs.mltable.load (served to entry scripts as ``import mltable``) reads the same way."""
    from daskprs import mltable

    table = folder.root / "table"
    original = (table / "MLTable").read_text()
    (table / "MLTable").write_text(original + "extra:\n" + bomb(8))
    with pytest.raises(MLTableError, match="aliases expanded"):
        mltable.load(str(table))
    (table / "MLTable").write_bytes(b"# caf\xe9\n" + original.encode())
    with pytest.raises(MLTableError, match=r"byte 0xe9 at byte offset 5 \(line 1\)"):
        mltable.load(str(table))
