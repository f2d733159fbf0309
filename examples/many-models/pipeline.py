"""The many-models pipeline of pipeline.yml, built with the Python API (as with azure-ai-ml:
swap ``daskprs.sdk`` for ``azure.ai.ml`` / ``azure.ai.ml.parallel`` / ``azure.ai.ml.dsl``).

    python examples/many-models/pipeline.py [run_dir]

``build()`` returns the pipeline job; ``daskprs.run(build().to_job())`` runs it.
"""

import json
import sys
from pathlib import Path

from daskprs.sdk import (
    Environment,
    Input,
    Output,
    RetrySettings,
    RunFunction,
    command,
    load_component,
    parallel_run_function,
    pipeline,
)

HERE = Path(__file__).resolve().parent
ENVIRONMENT = Environment(
    image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
    conda_file=str(HERE / "environment" / "conda.yml"),
)

# step 1: the component file the YAML uses too
partition_data = load_component(HERE / "src" / "partition_data" / "partition_data.yml")

# step 2: one model per (Store, Brand) group
parallel_train = parallel_run_function(
    name="parallel_train",
    inputs=dict(
        data_source=Input(type="mltable", mode="direct"),
        drop_cols=Input(type="string"),
        target_col=Input(type="string"),
        date_col=Input(type="string"),
        lagging_orders=Input(type="string"),
    ),
    outputs=dict(model_folder=Output(type="uri_folder", mode="rw_mount")),
    input_data="${{inputs.data_source}}",
    partition_keys=["Store", "Brand"],
    instance_count=2,
    max_concurrency_per_instance=2,
    error_threshold=-1,
    mini_batch_error_threshold=5,
    logging_level="INFO",
    retry_settings=RetrySettings(max_retries=2, timeout=60),
    compute="azureml:cpu-cluster",
    environment_variables={"AZUREML_PARALLEL_EXAMPLE": "many-models"},
    task=RunFunction(
        code=str(HERE / "src" / "parallel_train"),
        entry_script="parallel_train.py",
        environment=ENVIRONMENT,
        program_arguments="--drop_cols ${{inputs.drop_cols}} "
        "--target_col ${{inputs.target_col}} "
        "--date_col ${{inputs.date_col}} "
        "--lagging_orders ${{inputs.lagging_orders}} "
        "--model_folder ${{outputs.model_folder}}",
    ),
)

# step 3: read the models, write a summary
summarize_models = command(
    name="summarize",
    code=str(HERE / "src" / "summarize"),
    command="python summarize.py --model_folder ${{inputs.model_folder}} "
    "--summary ${{outputs.summary}}",
    environment=ENVIRONMENT,
    inputs={"model_folder": Input(type="uri_folder")},
    outputs={"summary": Output(type="uri_folder")},
)


@pipeline(
    name="many_models",
    display_name="Many models training",
    description="One demand model per store and brand with a parallel job (partition_keys)",
    experiment_name="many-models-parallel-job",
    tags={"sample": "many-models"},
    default_compute="azureml:cpu-cluster",
)
def many_models(oj_sales_data: Input, partition_keys: str = "Store,Brand"):
    partition_job = partition_data(data_source=oj_sales_data, partition_keys=partition_keys)
    partition_job.outputs.tabular_output_data.type = "mltable"
    partition_job.outputs.tabular_output_data.mode = "rw_mount"

    train = parallel_train(
        data_source=partition_job.outputs.tabular_output_data,
        drop_cols="Revenue,Store,Brand",
        target_col="Quantity",
        date_col="WeekStarting",
        lagging_orders="1,2",
    )

    summarize = summarize_models(model_folder=train.outputs.model_folder)
    return {"summary": summarize.outputs.summary}


def build():
    """The pipeline job, on the example's data."""
    return many_models(
        oj_sales_data=Input(type="uri_file", path=str(HERE / "data" / "oj_sales_data.csv"))
    )


if __name__ == "__main__":
    import daskprs

    job = build()
    result = daskprs.run(job.to_job(), run_dir=sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps(result.as_dict(), indent=2, default=str))
    sys.exit(0 if result.status == "Completed" else 1)
