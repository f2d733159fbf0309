"""Outputs go where they should: never over an input, the code or the run dir's state, never over
an existing file without --overwrite, and written whole or not at all (issue 17, point 2)."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid

import fsspec
import pytest
import yaml

import daskprs
from daskprs.cli import main
from daskprs.errors import PipelineSpecError
from daskprs.output.assemble import assemble
from daskprs.runtime.protocol import AttemptRecord
from daskprs.spec.output_paths import check_run_outputs
from tests.helpers.files import read_text
from tests.helpers.jobs import JobFolder

SCORE = "def run(mini_batch):\n    return [f'{len(mini_batch)} rows']\n"


@pytest.fixture
def folder(tmp_path) -> JobFolder:
    jf = JobFolder(tmp_path / "job")
    jf.table(rows=30)
    jf.script(SCORE)
    return jf


def job_with_output(jf: JobFolder, path: str, typ: str = "uri_file", **settings):
    yml = jf.parallel_yaml({"type": "mltable", "path": "./table"}, instance_count=1, **settings)
    doc = yaml.safe_load(yml.read_text())
    doc["outputs"]["result"] = {"type": typ, "path": path}
    yml.write_text(yaml.safe_dump(doc))
    return yml


def digest(path) -> str:
    return hashlib.sha256(read_text(path, "rb")).hexdigest()


def validate(yml, *extra, capsys):
    code = main(["job", "validate", "--file", str(yml), *extra])
    return code, capsys.readouterr().err


def test_an_output_over_the_input_csv_is_a_spec_error(folder, capsys):
    """The issue's case: predictions written over the job's own input CSV."""
    csv = folder.root / "table" / "part0.csv"
    before = digest(csv)
    yml = job_with_output(folder, "./table/part0.csv")
    code, err = validate(yml, capsys=capsys)
    assert code == 2 and "outputs.result.path" in err and "overlaps input data" in err
    with pytest.raises(PipelineSpecError, match="overlaps input data"):
        daskprs.load_job(yml)
    assert digest(csv) == before


def test_an_output_over_a_file_the_mltable_names_elsewhere(folder, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.csv").write_text("id,x\n1,2\n")
    (folder.root / "table" / "MLTable").write_text(
        yaml.safe_dump(
            {
                "paths": [{"file": "../../shared/data.csv"}],
                "transformations": [{"read_delimited": {"delimiter": ","}}],
            }
        )
    )
    with pytest.raises(PipelineSpecError, match=f"overlaps input data .*{shared}"):
        daskprs.load_job(job_with_output(folder, str(shared / "data.csv")))


@pytest.mark.parametrize("path", ["./code/result.txt", "./code/sub/out.txt"])
def test_an_output_inside_the_code_folder_is_a_spec_error(folder, path):
    with pytest.raises(PipelineSpecError, match="overlaps the code folder of step job"):
        daskprs.load_job(job_with_output(folder, path))


def test_a_folder_output_holding_the_code_is_a_spec_error(folder):
    with pytest.raises(PipelineSpecError, match="overlaps the code folder"):
        daskprs.load_job(job_with_output(folder, ".", typ="uri_folder"))


def test_a_uri_file_output_that_is_a_folder_is_a_spec_error(folder, tmp_path):
    """The issue's case: it failed at assembly and left <path>.daskprs-tmp behind."""
    out = tmp_path / "outdir"
    out.mkdir()
    with pytest.raises(PipelineSpecError, match="is a folder; a uri_file output names the file"):
        daskprs.load_job(job_with_output(folder, str(out)))
    (tmp_path / "file").write_text("x")
    with pytest.raises(PipelineSpecError, match="is a file; a uri_folder output names a folder"):
        daskprs.load_job(job_with_output(folder, str(tmp_path / "file"), typ="uri_folder"))


def test_etc_passwd_is_refused_without_overwrite(folder, capsys):
    yml = job_with_output(folder, "/etc/passwd")
    code, err = validate(yml, capsys=capsys)
    assert code == 2 and "/etc/passwd exists already; pass --overwrite" in err
    assert validate(yml, "--overwrite", capsys=capsys)[0] == 0


def test_an_existing_file_is_replaced_only_with_overwrite(folder, tmp_path, client):  # noqa: F811
    target = tmp_path / "elsewhere" / "result.txt"
    target.parent.mkdir()
    target.write_text("precious\n")
    job = daskprs.load_job(job_with_output(folder, str(target)))
    with pytest.raises(PipelineSpecError, match="exists already; pass --overwrite"):
        daskprs.run(job, client=client, run_dir=str(tmp_path / "a"), progress=False)
    assert target.read_text() == "precious\n" and not (tmp_path / "a").exists()

    result = daskprs.run(
        job, client=client, run_dir=str(tmp_path / "b"), progress=False, overwrite=True
    )
    assert result.status == "Completed" and target.read_text() == "30 rows\n"
    assert sorted(os.listdir(target.parent)) == ["result.txt"]  # no temporary file left

    # resuming the run that wrote it is not refused (the file is the run's own)
    check_run_outputs(job, str(tmp_path / "b"), resume=True)
    # a new run is
    with pytest.raises(PipelineSpecError, match="exists already"):
        daskprs.run(job, client=client, run_dir=str(tmp_path / "c"), progress=False)


def test_a_folder_output_checks_the_file_daskprs_writes(folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "other.txt").write_text("the user's")
    job = daskprs.load_job(job_with_output(folder, str(out), typ="uri_folder"))
    check_run_outputs(job, str(tmp_path / "run"))  # an existing folder is fine
    (out / "parallel_run_step.txt").write_text("an earlier result")
    with pytest.raises(PipelineSpecError, match="parallel_run_step.txt exists already"):
        check_run_outputs(job, str(tmp_path / "run"))


@pytest.mark.parametrize(
    "inside, error",
    [
        ("", "holds the run directory"),
        ("job.json", "which the run keeps its state in"),
        ("job/state/ledger.jsonl", "which the run keeps its state in"),
        ("job/logs/x.txt", "which the run keeps its state in"),
        ("report.html", "which the run keeps its state in"),
        (".daskprs.lock", "which the run keeps its state in"),
        ("job/outputs/custom.txt", None),
        ("results/custom.txt", None),
    ],
)
def test_outputs_and_the_run_dirs_state(folder, tmp_path, inside, error):
    run_dir = tmp_path / "runs" / "run"
    path = str(run_dir / inside) if inside else str(run_dir)
    job = daskprs.load_job(job_with_output(folder, path))
    if error is None:
        check_run_outputs(job, str(run_dir))
    else:
        with pytest.raises(PipelineSpecError, match=error):
            check_run_outputs(job, str(run_dir))
    above = daskprs.load_job(job_with_output(folder, str(tmp_path / "runs"), typ="uri_folder"))
    with pytest.raises(PipelineSpecError, match="holds the run directory"):
        check_run_outputs(above, str(run_dir))


def test_an_existing_object_at_a_url_output_is_refused(folder):
    fs = fsspec.filesystem("memory")
    fs.pipe("/h17/result.txt", b"precious")
    job = daskprs.load_job(job_with_output(folder, "memory://h17/result.txt"))
    with pytest.raises(PipelineSpecError, match="memory://h17/result.txt exists already"):
        check_run_outputs(job, None)
    check_run_outputs(job, None, overwrite=True)
    fs.rm("/h17/result.txt")
    check_run_outputs(job, None)


def _records(parts, missing_spool: bool):
    (parts / "a").write_text("1\n2\n")
    recs = [AttemptRecord(0, 1, "RUN_DONE", part="a", part_bytes=4)]
    if missing_spool:  # a spool file that vanished: assembly fails half-way
        recs.append(AttemptRecord(1, 1, "RUN_DONE", part="gone", part_bytes=4))
    return recs


def test_a_failed_assembly_leaves_the_target_and_no_temporary_file(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    target = tmp_path / "out" / "result.txt"
    target.parent.mkdir()
    target.write_text("previous\n")
    with pytest.raises(OSError):
        assemble(str(parts), _records(parts, True), str(target), header=False)
    assert target.read_text() == "previous\n"
    assert os.listdir(target.parent) == ["result.txt"]


def test_assembly_over_a_folder_fails_cleanly(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    target = tmp_path / "outdir"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match="uri_file output names the file"):
        assemble(str(parts), _records(parts, False), str(target), header=False)
    assert sorted(os.listdir(tmp_path)) == ["outdir", "parts"]


def test_the_output_file_gets_the_umask_mode(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    old = os.umask(0o027)
    try:
        assemble(str(parts), _records(parts, False), str(tmp_path / "r.txt"), header=False)
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "r.txt").st_mode & 0o777 == 0o640


@pytest.fixture
def s3_bucket(monkeypatch):
    """A bucket of its own on a moto S3 server on loopback (moto's store is per process, so
    the bucket name is unique); s3:// URLs in this process go there."""
    moto_server = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="testing", secret="testing")
    bucket = f"h17-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    yield fs, bucket
    server.stop()


def test_a_failed_upload_commits_no_object(tmp_path, s3_bucket):
    """An object store write (S3, on a local moto server) is discarded when it fails."""
    fs, bucket = s3_bucket
    parts = tmp_path / "parts"
    parts.mkdir()
    url = f"s3://{bucket}/up.txt"
    with pytest.raises(OSError):
        assemble(str(parts), _records(parts, True), url, header=False)
    assert not fs.exists(f"{bucket}/up.txt")
    assert assemble(str(parts), _records(parts, False), url, header=False) == 4
    assert fs.cat(f"{bucket}/up.txt") == b"1\n2\n"
