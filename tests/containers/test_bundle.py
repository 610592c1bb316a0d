"""Model bundles in every supported format load and predict alike; unsafe inputs are refused."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from ml_containers.bundle import (
    BundleError,
    load_bundle,
    pack_model_dir,
    safe_extract,
)
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from test_train_support import (
    PreparedDataset,
    lay_out_training_job,
    prepare,
    run_program,
    write_bundle_around_model,
    write_skops_bundle,
)


@pytest.fixture(scope="module")
def breast_cancer() -> PreparedDataset:
    return prepare("breast_cancer")


@pytest.fixture(scope="module")
def wine() -> PreparedDataset:
    return prepare("wine")


@pytest.mark.slow
def test_xgboost_bundle_from_train_loads_from_its_tarball(breast_cancer, tmp_path):
    root = lay_out_training_job(tmp_path / "ml", breast_cancer)
    result = run_program("train", root)
    assert result.returncode == 0, result.stderr
    serving = tmp_path / "serving"
    pack_model_dir(root / "model", serving / "model.tar.gz")
    bundle = load_bundle(serving)  # unpacks model.tar.gz next to itself
    assert bundle.manifest.format == "xgboost"
    probabilities = bundle.predict(breast_cancer.test.features)
    assert probabilities.shape == (breast_cancer.test.labels.size, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    accuracy = np.mean(probabilities.argmax(axis=1) == breast_cancer.test.labels)
    assert accuracy > 0.9


def test_skops_classifier_bundle_predicts_probabilities(breast_cancer, tmp_path):
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    model.fit(breast_cancer.train.features, breast_cancer.train.labels)
    directory = write_skops_bundle(model, tmp_path, breast_cancer)
    bundle = load_bundle(directory)
    probabilities = bundle.predict(breast_cancer.test.features)
    assert probabilities.shape == (breast_cancer.test.labels.size, 2)
    np.testing.assert_allclose(probabilities, model.predict_proba(breast_cancer.test.features))


def test_skops_regressor_bundle_predicts_values(tmp_path):
    diabetes = prepare("diabetes")
    model = HistGradientBoostingRegressor(max_iter=30, random_state=0)
    model.fit(diabetes.train.features, diabetes.train.labels)
    directory = write_skops_bundle(model, tmp_path, diabetes)
    values = load_bundle(directory).predict(diabetes.test.features)
    assert values.shape == (diabetes.test.labels.size,)
    np.testing.assert_allclose(values, model.predict(diabetes.test.features))


def test_onnx_sklearn_classifier_bundle_predicts_probabilities(breast_cancer, tmp_path):
    from skl2onnx import to_onnx

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(breast_cancer.train.features, breast_cancer.train.labels)
    onnx_model = to_onnx(model, breast_cancer.train.features[:1])  # ZipMap output: class dicts
    (tmp_path / "model.onnx").write_bytes(onnx_model.SerializeToString())
    bundle = load_bundle(write_bundle_around_model(tmp_path, breast_cancer, "onnx", "model.onnx"))
    probabilities = bundle.predict(breast_cancer.test.features)
    assert probabilities.shape == (breast_cancer.test.labels.size, 2)
    np.testing.assert_allclose(
        probabilities, model.predict_proba(breast_cancer.test.features), atol=1e-5
    )


def test_onnx_xgboost_multiclass_bundle_predicts_probabilities(wine, tmp_path):
    import xgboost as xgb
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    model = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0)
    model.fit(wine.train.features, wine.train.labels.astype(int))
    width = wine.train.features.shape[1]
    onnx_model = convert_xgboost(
        model, initial_types=[("features", FloatTensorType([None, width]))]
    )
    (tmp_path / "model.onnx").write_bytes(onnx_model.SerializeToString())
    bundle = load_bundle(write_bundle_around_model(tmp_path, wine, "onnx", "model.onnx"))
    probabilities = bundle.predict(wine.test.features)
    assert probabilities.shape == (wine.test.labels.size, 3)
    np.testing.assert_allclose(probabilities, model.predict_proba(wine.test.features), atol=1e-5)


class CustomScaler(StandardScaler):
    """A class skops does not know: loading it would import and run this test module's code."""


@pytest.mark.parametrize(
    ("model", "refused"),
    [
        (make_pipeline(CustomScaler(), LogisticRegression()), "CustomScaler"),
        (make_pipeline(FunctionTransformer(func=os.system), LogisticRegression()), "system"),
        (make_pipeline(FunctionTransformer(func=eval), LogisticRegression()), "builtins.eval"),
    ],
    ids=["custom-class", "os-function", "builtin-function"],
)
def test_untrusted_skops_content_is_refused(breast_cancer, tmp_path, model, refused):
    # Unfitted on purpose: fitting the function transformers would call the functions.
    directory = write_skops_bundle(model, tmp_path, breast_cancer)
    with pytest.raises(BundleError, match=rf"refusing to load model\.skops.*{refused}"):
        load_bundle(directory)


def _tarball(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            payload = b"x" if member.isfile() else b""
            member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload) if payload else None)
    return path


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.SYMTYPE
    member.linkname = target
    return member


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../escaped.txt"),
        tarfile.TarInfo("nested/../../escaped.txt"),
        _symlink("link", "../../etc/passwd"),
        _symlink("abs-link", "/etc/passwd"),
    ],
    ids=["parent", "nested-parent", "relative-link-out", "absolute-link"],
)
def test_tarball_members_escaping_the_destination_are_refused(tmp_path, member):
    archive = _tarball(tmp_path / "model.tar.gz", [member])
    destination = tmp_path / "deep" / "destination"
    with pytest.raises(BundleError, match="cannot extract"):
        safe_extract(archive, destination)
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = linkname
    return member


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([_member("/tmp/absolute.txt")], "absolute"),
        ([_member("/")], "absolute"),
        ([_member("ok.txt"), _member("hard", tarfile.LNKTYPE, "../../etc/passwd")], "a link"),
        ([_member("ok.txt"), _member("hard", tarfile.LNKTYPE, "ok.txt")], "a link"),
        ([_member("inside", tarfile.SYMTYPE, "ok.txt")], "a link"),
        ([_member("null", tarfile.CHRTYPE)], "device"),
        ([_member("disk", tarfile.BLKTYPE)], "device"),
        ([_member("pipe", tarfile.FIFOTYPE)], "device"),
    ],
    ids=["absolute", "root", "hardlink-out", "hardlink-in", "symlink-in", "char-device",
         "block-device", "fifo"],
)  # fmt: skip
def test_links_devices_and_absolute_members_are_refused(tmp_path, members, reason):
    archive = _tarball(tmp_path / "model.tar.gz", members)
    destination = tmp_path / "destination"
    with pytest.raises(BundleError, match=f"cannot extract .*{reason}"):
        safe_extract(archive, destination)
    assert list(destination.iterdir()) == []  # every member is checked before any is written
    assert not Path("/tmp/absolute.txt").exists()


def test_an_existing_link_in_the_destination_is_not_followed_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "destination"
    destination.mkdir()
    (destination / "sub").symlink_to(outside)
    archive = _tarball(tmp_path / "model.tar.gz", [_member("sub/file.txt")])
    with pytest.raises(BundleError, match="outside"):
        safe_extract(archive, destination)
    assert list(outside.iterdir()) == []


def test_files_and_directories_are_extracted_with_plain_modes(tmp_path):
    setuid = _member("tool")
    setuid.mode = 0o4777
    setuid.uid = setuid.gid = 4242
    members = [_member("./", tarfile.DIRTYPE), _member("./manifest.json"),
               _member("nested", tarfile.DIRTYPE), _member("nested/model.ubj"), setuid]  # fmt: skip
    destination = tmp_path / "destination"
    safe_extract(_tarball(tmp_path / "model.tar.gz", members), destination)
    assert (destination / "manifest.json").read_bytes() == b"x"
    assert (destination / "nested" / "model.ubj").read_bytes() == b"x"
    tool = (destination / "tool").stat()
    assert oct(tool.st_mode & 0o7777) == oct(0o755)  # no set-id bits, no world write
    assert (tool.st_uid, tool.st_gid) == (os.getuid(), os.getgid())  # the archive's owner unused


@pytest.fixture
def tarfile_of_python_3_11_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """tarfile as Debian bookworm's Python 3.11.2 has it: no extraction filters (3.11.4+)."""
    for name in ("data_filter", "tar_filter", "fully_trusted_filter"):
        monkeypatch.delattr(tarfile, name, raising=False)
    for method in ("extractall", "extract"):
        original = getattr(tarfile.TarFile, method)

        def without_filter(self, *args, _original=original, _method=method, **kwargs):
            if "filter" in kwargs:
                raise TypeError(f"TarFile.{_method}() got an unexpected keyword argument 'filter'")
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(tarfile.TarFile, method, without_filter)


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
def test_extraction_works_and_refuses_on_a_tarfile_without_filters(tmp_path):
    assert not hasattr(tarfile, "data_filter")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "manifest.json").write_text("{}")
    (model_dir / "model.ubj").write_bytes(b"\x00\x01")
    archive = pack_model_dir(model_dir, tmp_path / "packed" / "model.tar.gz")
    safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "model.ubj").read_bytes() == b"\x00\x01"
    for index, member in enumerate(
        [_member("../escaped.txt"), _member("/abs"), _symlink("l", "/etc/passwd"),
         _member("h", tarfile.LNKTYPE, "../x"), _member("d", tarfile.CHRTYPE)]
    ):  # fmt: skip
        bad = _tarball(tmp_path / f"bad{index}.tar.gz", [member])
        with pytest.raises(BundleError, match="cannot extract"):
            safe_extract(bad, tmp_path / f"dest{index}")
    assert not (tmp_path / "escaped.txt").exists()


def test_bundle_with_mismatched_transform_is_refused(breast_cancer, wine, tmp_path):
    model = HistGradientBoostingClassifier(max_iter=5).fit(
        breast_cancer.train.features, breast_cancer.train.labels
    )
    directory = write_skops_bundle(model, tmp_path, breast_cancer)
    wine.transform.save(directory)  # a transform from another dataset
    with pytest.raises(BundleError, match="disagree on the feature names"):
        load_bundle(directory)
