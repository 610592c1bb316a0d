"""The two batch pipelines, each run in its own child process so its peak memory (ru_maxrss)
is its own: ``python -m benchmarks.batch_jobs ours URL INPUT OUTPUT`` streams the file through a
running ``serve`` with the local batch transform (MultiRecord chunks, as SageMaker does);
``python -m benchmarks.batch_jobs in-process MODEL_DIR INPUT OUTPUT`` is the least work the same
job needs in one process: pyarrow reads, the fitted transform, ``inplace_predict``, pyarrow
writes. Each prints one JSON line: seconds, records, peak_rss_bytes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xgboost as xgb
from ml_containers.bundle import load_bundle
from ml_containers.schema import ColumnType

BLOCK_BYTES = 16 << 20  # pyarrow read block: bounds the in-process pipeline's memory


def run_ours(url: str, input_path: Path, output_path: Path) -> int:
    from orchestrator.backends.local.batch_transform import run_batch_transform

    result = run_batch_transform(input_path, output_path, endpoint_url=url)
    return result.records


def run_in_process(model_dir: Path, input_path: Path, output_path: Path) -> int:
    bundle = load_bundle(model_dir)
    schema = bundle.schema
    booster = xgb.Booster()
    booster.load_model(str(model_dir / bundle.manifest.model_file))
    classes = np.array(bundle.manifest.classes or schema.classes, dtype=object)
    names = schema.feature_names
    types = {
        c.name: pa.string() if c.type is ColumnType.CATEGORICAL else pa.float64()
        for c in schema.features
    }
    reader = pacsv.open_csv(
        input_path,
        read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
        # An empty cell is a missing value for every type, as for serve (imputed by the transform)
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    out_names = ["label", *(f"p_{c}" for c in classes)]
    out_schema = pa.schema([(n, pa.string() if n == "label" else pa.float64()) for n in out_names])
    records = 0
    with pacsv.CSVWriter(
        output_path, out_schema, write_options=pacsv.WriteOptions(include_header=False)
    ) as writer:
        for batch in reader:
            columns = {
                n: batch.column(n)
                if types[n] == pa.string()
                else batch.column(n).to_numpy(zero_copy_only=False)
                for n in names
            }
            features = bundle.transform.apply_columns(columns, batch.num_rows)
            p1 = booster.inplace_predict(features)
            probabilities = np.column_stack([1.0 - p1, p1])
            labels = classes[probabilities.argmax(axis=1)]
            arrays = [
                pa.array(labels, pa.string()),
                *(pa.array(probabilities[:, i]) for i in range(len(classes))),
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            records += batch.num_rows
    return records


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in ("ours", "in-process"):
        print(
            "usage: python -m benchmarks.batch_jobs ours|in-process URL|MODEL_DIR INPUT OUTPUT",
            file=sys.stderr,
        )
        return 2
    kind, target, input_path, output_path = argv
    started = time.perf_counter()
    if kind == "ours":
        records = run_ours(target, Path(input_path), Path(output_path))
    else:
        records = run_in_process(Path(target), Path(input_path), Path(output_path))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "records": records, "peak_rss_bytes": peak}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
