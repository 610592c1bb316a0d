"""Names shared by the builder, the local runner and the AWS runner.

Step names, parameter names, property-file names and container paths are part of the definition's
contract: the runners and tests look them up here instead of repeating string literals.
"""

from __future__ import annotations

from typing import Final

DEFINITION_VERSION: Final = "2020-12-01"

# Steps, in execution order (the condition's branches are nested inside QualityGate).
PREPROCESS: Final = "Preprocess"
TUNE: Final = "Tune"
EVALUATE: Final = "Evaluate"
QUALITY_GATE: Final = "QualityGate"
REGISTER: Final = "Register"
GATE_FAILED: Final = "QualityGateFailed"

# Pipeline parameters.
INPUT_DATA: Final = "InputData"
# A digest of the objects under InputData, computed when an execution starts (flows/pipeline.py);
# Preprocess gets it as the DATA_VERSION environment variable, a documented cache-key attribute.
INPUT_DATA_VERSION: Final = "InputDataVersion"
DATA_VERSION_ENV: Final = "DATA_VERSION"
# Its default: an execution started without the orchestrator's digest (the console, or staged
# data, whose content-addressed URI is its version) caches on the InputData URI alone.
UNVERSIONED_DATA: Final = "unversioned"
SCHEMA_URI: Final = "SchemaUri"
METRIC_THRESHOLD: Final = "MetricThreshold"
# The metric the quality gate compares with MetricThreshold (default: the schema's gate metric).
# A JsonGet path cannot be a parameter, so Evaluate gets both as environment variables and writes
# its verdict under fixed keys of evaluation.json's "gate" block (ml_containers.evaluate.gate).
GATE_METRIC: Final = "GateMetric"
GATE_METRIC_ENV: Final = "GATE_METRIC"
GATE_THRESHOLD_ENV: Final = "GATE_THRESHOLD"
MODEL_APPROVAL_STATUS: Final = "ModelApprovalStatus"
PROCESSING_INSTANCE_TYPE: Final = "ProcessingInstanceType"
PROCESSING_INSTANCE_COUNT: Final = "ProcessingInstanceCount"
TRAINING_INSTANCE_TYPE: Final = "TrainingInstanceType"
TRAINING_INSTANCE_COUNT: Final = "TrainingInstanceCount"
REJECTION_THRESHOLD: Final = "RejectionThreshold"
MAX_TUNING_JOBS: Final = "MaxTuningJobs"
MAX_PARALLEL_TUNING_JOBS: Final = "MaxParallelTuningJobs"

# The Evaluate step's property file and the file it points at.
EVALUATION_REPORT: Final = "EvaluationReport"
EVALUATION_OUTPUT: Final = "evaluation"
EVALUATION_FILE: Final = "evaluation.json"
# Model Monitor baseline files Evaluate writes beside evaluation.json (docs/monitoring.md).
BASELINE_STATISTICS_FILE: Final = "statistics.json"
BASELINE_CONSTRAINTS_FILE: Final = "constraints.json"
# Where a registry without DriftCheckBaselines of its own (the local one) keeps their URIs: in
# the package's metadata, under these keys (orchestrator monitor run reads them).
BASELINE_STATISTICS_KEY: Final = "drift_baseline_statistics"
BASELINE_CONSTRAINTS_KEY: Final = "drift_baseline_constraints"

# Preprocess outputs (docs/architecture.md), in the order the container writes them.
PREPROCESS_OUTPUTS: Final = ("train", "validation", "test", "transform", "batch", "report")

# Training channels the `train` program reads.
TRAINING_CHANNELS: Final = ("train", "validation", "transform")

# Container paths (docs/architecture.md, "Container contracts").
PROCESSING_INPUT_DATA: Final = "/opt/ml/processing/input/data"
PROCESSING_INPUT_SCHEMA: Final = "/opt/ml/processing/input/schema"
PROCESSING_INPUT_MODEL: Final = "/opt/ml/processing/input/model"
PROCESSING_INPUT_TEST: Final = "/opt/ml/processing/input/test"
# The train split, for the drift baseline Evaluate writes (ml_containers.evaluate.baseline).
PROCESSING_INPUT_TRAIN: Final = "/opt/ml/processing/input/train"
PROCESSING_OUTPUT_ROOT: Final = "/opt/ml/processing/output"
PROCESSING_EVALUATION: Final = "/opt/ml/processing/evaluation"

# Where SageMaker puts a training job's model: <S3OutputPath>/<TrainingJobName>/output/model.tar.gz
MODEL_ARTIFACT_SUFFIX: Final = "output/model.tar.gz"
