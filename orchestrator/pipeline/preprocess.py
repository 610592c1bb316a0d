"""The Preprocess step: raw CSV + schema in, splits, preprocessing bundle and reports out.

Runs the image's ``preprocess`` program (docs/architecture.md, "preprocess"). The rejection
threshold is a pipeline parameter so one run can loosen data-quality gating without a redeploy.
The input data's version (``InputDataVersion``) is in its Environment, so it is part of the step's
cache key (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html).
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import locations, names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.processing import (
    processing_arguments,
    processing_input,
    processing_output,
    processing_step,
)
from orchestrator.settings.stack_outputs import StackOutputs


def preprocess_step(
    config: PipelineConfig, outputs: StackOutputs, image_uri: str, pipeline: str
) -> dict[str, Any]:
    settings = config.preprocess
    container_arguments: list[Any] = [
        "--rejection-threshold",
        ex.parameter(names.REJECTION_THRESHOLD),
        "--validation-fraction",
        repr(settings.validation_fraction),
        "--test-fraction",
        repr(settings.test_fraction),
        "--seed",
        str(settings.seed),
        "--chunk-rows",
        str(settings.chunk_rows),
        # One train part file per training host: the Tune step's train channel is
        # ShardedByS3Key, so N hosts get one part each (docs/scaling.md).
        "--train-parts",
        ex.as_text(ex.parameter(names.TRAINING_INSTANCE_COUNT)),
    ]
    inputs = [
        # Each host gets some of the data's objects (on one host: all of them), and the hosts
        # agree on what only the whole input decides (docs/scaling.md); the schema is whole.
        processing_input(
            "data",
            ex.parameter(names.INPUT_DATA),
            names.PROCESSING_INPUT_DATA,
            distribution="ShardedByS3Key",
        ),
        processing_input("schema", ex.parameter(names.SCHEMA_URI), names.PROCESSING_INPUT_SCHEMA),
    ]
    job_outputs = [
        processing_output(
            output,
            locations.step_output_uri(outputs, pipeline, names.PREPROCESS, output),
            f"{names.PROCESSING_OUTPUT_ROOT}/{output}",
        )
        for output in names.PREPROCESS_OUTPUTS
    ]
    arguments = processing_arguments(
        config,
        outputs,
        image_uri,
        entrypoint=["preprocess"],
        container_arguments=container_arguments,
        inputs=inputs,
        job_outputs=job_outputs,
    )
    # SageMaker's cache key for a Processing step holds Environment but not the objects' content,
    # so the data's version rides there: new data under the same InputData prefix misses.
    arguments["Environment"] = {names.DATA_VERSION_ENV: ex.parameter(names.INPUT_DATA_VERSION)}
    return processing_step(names.PREPROCESS, arguments, config)
