import inspect

import daskprs.data as data


def test_public_names_and_signatures():
    assert sorted(data.__all__) == sorted(
        [
            "MLTable",
            "MiniBatchPiece",
            "list_input_files",
            "load_mltable",
            "load_piece",
            "parse_mini_batch_size",
            "plan_mini_batches",
            "read_mltable",
        ]
    )
    for name in data.__all__:
        assert getattr(data, name) is not None
    assert list(inspect.signature(data.plan_mini_batches).parameters) == [
        "source",
        "mini_batch_size",
        "partition_keys",
        "work_dir",
    ]
    assert list(inspect.signature(data.read_mltable).parameters) == [
        "path",
        "mini_batch_size",
        "partition_keys",
        "storage_options",
    ]
    assert list(inspect.signature(data.load_mltable).parameters) == ["path", "storage_options"]


def test_read_mltable_keeps_booleans_with_nulls(tmp_path):
    """Dask's convert-string would turn the object column (True/False/None) into text."""
    rows = "".join(
        f"{i},{'' if i % 7 == 0 else ('true' if i % 2 else 'false')}\n" for i in range(50)
    )
    (tmp_path / "a.csv").write_text("id,flag\n" + rows)
    (tmp_path / "MLTable").write_text(
        "paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n"
    )
    ddf = data.read_mltable(str(tmp_path), mini_batch_size=200)
    assert ddf.npartitions > 1
    df = ddf.compute()
    assert df["flag"].tolist()[:8] == [None, True, False, True, False, True, False, None]
    assert str(ddf.dtypes["flag"]) == str(df.dtypes["flag"]) == "object"
