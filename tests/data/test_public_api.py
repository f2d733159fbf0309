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
