"""The evaluation job's two inputs: the model tarball a training job produced and the test split.

Processing jobs mount ``/opt/ml/processing/input/model/model.tar.gz`` (the training job's
artifact) and ``/opt/ml/processing/input/test/``: ``test.csv``, or ``test-part-HHHHH.csv`` per
host of a preprocess job on several hosts, read in name order (``ml_containers.split_layout``);
label first, no header, transformed by the same preprocess run. The tarball comes from storage
we do not fully trust, so it is unpacked with :func:`ml_containers.bundle.safe_extract`, which
refuses links and escaping paths.
"""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..bundle import MANIFEST_FILE, MODEL_TAR, BundleError, ModelBundle, load_bundle, safe_extract
from ..schema import SchemaError
from ..split_layout import SplitLayoutError, split_files
from ..train.failure import JobFailure
from ..train.labeled_csv import LabeledData, check_labels, read_labeled_csv

MODEL_INPUT = "/opt/ml/processing/input/model"
TEST_INPUT = "/opt/ml/processing/input/test"
TEST_SPLIT = "test"
TEST_FILE = "test.csv"


def load_model(model_input: Path, workdir: Path) -> ModelBundle:
    """Unpack ``model.tar.gz`` from ``model_input`` into ``workdir`` and load the bundle there.

    An already unpacked bundle (``manifest.json`` in ``model_input``) is loaded as it is, which
    is what a local run that skips the tarball hands over.
    """
    archive = model_input / MODEL_TAR
    try:
        if archive.is_file():
            safe_extract(archive, workdir)
            return load_bundle(workdir)
        if (model_input / MANIFEST_FILE).is_file():
            return load_bundle(model_input)
    except (BundleError, SchemaError) as exc:
        raise JobFailure(f"cannot load the model from {archive}: {exc}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise JobFailure(
            f"the model in {model_input} is not a valid bundle written by train ({exc})"
        ) from None
    raise JobFailure(
        f"no {MODEL_TAR} in {model_input}; give the processing job an input with "
        f"destination {MODEL_INPUT} pointing at the training job's model artifact"
    )


def read_test_split(test_input: Path, bundle: ModelBundle) -> LabeledData:
    """The test rows, checked against the bundle's feature count and classes."""
    if not test_input.is_dir():
        raise JobFailure(
            f"the test input {test_input} does not exist; give the processing job an input with "
            f"destination {TEST_INPUT} holding {TEST_FILE} from preprocess"
        )
    try:
        files = split_files(test_input, TEST_SPLIT)
    except SplitLayoutError as exc:
        raise JobFailure(f"the test input: {exc}") from None
    data = read_labeled_csv(files, len(bundle.manifest.feature_names), "the test split")
    check_labels(data.labels, bundle.schema, "the test split")
    return data


def model_input_dir() -> Path:
    return paths.reroot(MODEL_INPUT)


def test_input_dir() -> Path:
    return paths.reroot(TEST_INPUT)
