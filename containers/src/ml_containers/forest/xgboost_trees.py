"""An XGBoost booster as a native forest (:mod:`.source`): the trees read from the booster's
own JSON, predicted by the compiled walker with one C call per request.

For one row, XGBoost's own prediction (even through ``XGBoosterPredictFromDense``) costs tens of
microseconds before the first tree is walked: it builds a proxy DMatrix, parses the device
string with two ``std::regex`` and reads the cgroup CPU limits on every call. The walker walks
the trees directly: a few microseconds per row.

Only models whose prediction the walker replicates exactly are converted: a ``gbtree`` booster
(not ``dart``), numerical splits, one output per tree, and an objective whose transform is
known (:data:`LINKS`). Anything else raises :class:`Unsupported` and the caller keeps XGBoost.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from .native import load_library

LINK_IDENTITY, LINK_SIGMOID, LINK_SOFTMAX, LINK_EXP = 0, 1, 2, 3
# objective -> (transform of the margin, transform of base_score into the margin)
LINKS: dict[str, tuple[int, str]] = {
    "binary:logistic": (LINK_SIGMOID, "logit"),
    "reg:logistic": (LINK_SIGMOID, "logit"),
    "multi:softprob": (LINK_SOFTMAX, "identity"),
    "reg:squarederror": (LINK_IDENTITY, "identity"),
    "reg:absoluteerror": (LINK_IDENTITY, "identity"),
    "reg:pseudohubererror": (LINK_IDENTITY, "identity"),
    "reg:squaredlogerror": (LINK_IDENTITY, "identity"),
    "reg:gamma": (LINK_EXP, "log"),
    "reg:tweedie": (LINK_EXP, "log"),
    "count:poisson": (LINK_EXP, "log"),
}
NODE_DTYPE = np.dtype([("child", "<i4"), ("split", "<u4"), ("threshold", "<f4"), ("leaf", "<f4")])
_DEFAULT_LEFT = 1 << 31
_INTERNAL = 1 << 30
_FEATURE_MASK = _INTERNAL - 1


class Unsupported(ValueError):
    """The booster uses something the native walker does not replicate; the message says what."""


class _Forest(ctypes.Structure):
    _fields_ = [
        ("nodes", ctypes.c_void_p),
        ("roots", ctypes.c_void_p),
        ("depths", ctypes.c_void_p),
        ("groups", ctypes.c_void_p),
        ("n_trees", ctypes.c_int64),
        ("base", ctypes.c_void_p),
        ("n_groups", ctypes.c_int32),
        ("link", ctypes.c_int32),
    ]


@dataclass(frozen=True)
class ForestArrays:
    """The selected trees as flat arrays (node indices absolute across the forest)."""

    nodes: np.ndarray  # NODE_DTYPE
    roots: np.ndarray  # int32
    depths: np.ndarray  # int32
    groups: np.ndarray  # int32
    base_score: np.ndarray  # float32, per group, in the objective's space (as XGBoost stores it)
    base_transform: str
    link: int
    n_features: int


def forest_from_booster(booster: Any, iteration_range: tuple[int, int]) -> ForestArrays:
    """Read the trees of ``iteration_range`` (``(0, 0)``: all) from the booster's JSON."""
    learner = orjson.loads(booster.save_raw("json"))["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name") != "gbtree":
        raise Unsupported(f"booster type {gbm.get('name')!r} (only gbtree is compiled)")
    objective = learner["objective"]["name"]
    if objective not in LINKS:
        raise Unsupported(f"objective {objective!r}")
    params = learner["learner_model_param"]
    if int(params.get("num_target", "1")) > 1:
        raise Unsupported("multi-target models")
    n_groups = max(int(params.get("num_class", "0")), 1)
    model = gbm["model"]
    begin, end = _tree_range(model, iteration_range)
    trees = model["trees"][begin:end]
    groups = np.asarray(model["tree_info"][begin:end], dtype=np.int32)
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise Unsupported("tree_info names an output group the model does not have")
    nodes, roots, depths = _nodes(trees)
    n_features = int(params["num_feature"])
    if int((nodes["split"] & _FEATURE_MASK).max(initial=0)) >= n_features:
        raise Unsupported("a split on a feature index beyond num_feature")
    link, base_transform = LINKS[objective]
    return ForestArrays(
        nodes=nodes,
        roots=roots,
        depths=depths,
        groups=groups,
        base_score=_base_score(params["base_score"], n_groups),
        base_transform=base_transform,
        link=link,
        n_features=n_features,
    )


def _tree_range(model: dict[str, Any], iteration_range: tuple[int, int]) -> tuple[int, int]:
    indptr = model.get("iteration_indptr")
    if not indptr:
        raise Unsupported("a model file without iteration_indptr (saved by XGBoost < 2)")
    rounds = len(indptr) - 1
    first, last = int(iteration_range[0]), int(iteration_range[1])
    last = rounds if last == 0 else last
    if not 0 <= first <= last <= rounds:
        raise Unsupported(f"iteration range {iteration_range} outside the model's {rounds} rounds")
    return int(indptr[first]), int(indptr[last])


def _nodes(trees: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every tree's nodes renumbered breadth first, so each node's two children sit side by
    side (the walker computes ``child + went_right``), concatenated with absolute indices."""
    parts: list[np.ndarray] = []
    roots = np.empty(len(trees), dtype=np.int32)
    depths = np.empty(len(trees), dtype=np.int32)
    offset = 0
    for position, tree in enumerate(trees):
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise Unsupported("vector leaves (multi-target trees)")
        if any(tree.get("split_type", ())):
            raise Unsupported("categorical splits")
        part, depths[position] = _tree_nodes(tree, offset)
        parts.append(part)
        roots[position] = offset
        offset += part.size
        if offset >= 2**31:
            raise Unsupported("more than 2^31 nodes")
    nodes = np.concatenate(parts) if parts else np.empty(0, dtype=NODE_DTYPE)
    return nodes, roots, depths


def _tree_nodes(tree: dict[str, Any], offset: int) -> tuple[np.ndarray, int]:
    left = tree["left_children"]
    right = tree["right_children"]
    features = tree["split_indices"]
    default_left = tree["default_left"]
    # XGBoost's JSON writes float32 values in shortest round-trip form: exact as float32.
    values = np.asarray(tree["split_conditions"], dtype=np.float64).astype(np.float32)
    part = np.zeros(len(left), dtype=NODE_DTYPE)
    order = [0]  # old node ids in the new order
    level = {0: 0}
    for new, old in enumerate(order):  # grows while it is read: a breadth-first walk
        if left[old] < 0:
            part[new] = (offset + new, 0, 0.0, values[old])
            continue
        feature = int(features[old])
        if not 0 <= feature < _INTERNAL:
            raise Unsupported(f"a split on feature index {feature}")
        flags = _INTERNAL | (_DEFAULT_LEFT if default_left[old] else 0)
        part[new] = (offset + len(order), feature | flags, values[old], 0.0)
        order += [left[old], right[old]]
        level[left[old]] = level[right[old]] = level[old] + 1
    if len(order) != len(left):
        raise Unsupported("a tree whose nodes are not all reachable from its root")
    return part, max(level.values())


def _base_score(text: str, n_groups: int) -> np.ndarray:
    values = orjson.loads(text) if text.startswith("[") else [float(text)]
    base = np.asarray(values, dtype=np.float64).astype(np.float32).reshape(-1)
    if base.size == 1 and n_groups > 1:
        base = np.repeat(base, n_groups)
    if base.size != n_groups:
        raise Unsupported(f"{base.size} base scores for {n_groups} output groups")
    return base


class NativeForestPredictor:
    """``booster.inplace_predict(features, iteration_range=...)`` for dense C-contiguous float32
    features, computed by the compiled walker (same output shape and dtype)."""

    def __init__(self, forest: ForestArrays) -> None:
        library = load_library()
        self._predict = library.fw_predict
        self._predict_raw = library.fw_predict_raw
        self._predict_csv = library.fw_predict_csv
        self._predict_json = library.fw_predict_json
        self.forest = forest  # keeps the arrays alive while the C struct points at them
        self.n_features = forest.n_features
        self._groups = int(forest.base_score.size)
        self._base = self._margin(library, forest)
        self._struct = _Forest(
            forest.nodes.ctypes.data,
            forest.roots.ctypes.data,
            forest.depths.ctypes.data,
            forest.groups.ctypes.data,
            forest.roots.size,
            self._base.ctypes.data,
            self._groups,
            forest.link,
        )
        self._handle = ctypes.addressof(self._struct)

    @staticmethod
    def _margin(library: ctypes.CDLL, forest: ForestArrays) -> np.ndarray:
        """base_score in the margin, with the C library's logf as XGBoost computes it."""
        if forest.base_transform == "identity":
            return forest.base_score.copy()
        function = library.fw_logit if forest.base_transform == "logit" else library.fw_log
        return np.array([function(float(v)) for v in forest.base_score], dtype=np.float32)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        if features.dtype != np.float32 or not features.flags.c_contiguous:
            features = np.ascontiguousarray(features, dtype=np.float32)
        rows, width = features.shape
        if width != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got {width}")
        groups = self._groups
        out = np.empty(rows * groups, dtype=np.float32)
        self._predict(self._handle, features.ctypes.data, rows, width, out.ctypes.data)
        return out if groups == 1 else out.reshape(rows, groups)

    def raw_path(self, mean: np.ndarray, scale: np.ndarray, binary_pair: bool) -> RawPath:
        """Serving's fused numeric path for this forest and a fitted numeric transform."""
        return RawPath(self, mean, scale, binary_pair)


class RawPath:
    """Raw float64 rows through ``(raw - mean) / scale`` (as float32 features) and the trees in
    one C call, answered in serving's float64 layout (see ``fw_predict_raw``)."""

    def __init__(
        self, forest: NativeForestPredictor, mean: np.ndarray, scale: np.ndarray, pair: bool
    ) -> None:
        self._forest = forest  # keeps the struct and the trees alive
        self._call = forest._predict_raw
        self._handle = forest._handle
        self._mean = np.ascontiguousarray(mean, dtype=np.float64)
        self._scale = np.ascontiguousarray(scale, dtype=np.float64)
        if self._mean.shape != (forest.n_features,) or self._scale.shape != self._mean.shape:
            raise ValueError("the transform's mean and scale do not match the model's features")
        self._mean_at = self._mean.ctypes.data
        self._scale_at = self._scale.ctypes.data
        self._pair = pair
        self._width = forest.n_features
        groups = forest._groups
        self._shape_of: Callable[[int], tuple[int, ...]] = (
            (lambda rows: (rows, 2))
            if pair
            else (lambda rows: (rows,))
            if groups == 1
            else (lambda rows: (rows, groups))
        )

    def __call__(self, raw: np.ndarray) -> np.ndarray | None:
        """The served output, or None when a transformed value is not finite (nothing is
        predicted: the caller's own path explains it)."""
        rows, width = raw.shape
        if width != self._width:
            raise ValueError(f"expected {self._width} features, got {width}")
        if raw.dtype != np.float64 or not raw.flags.c_contiguous:
            raw = np.ascontiguousarray(raw, dtype=np.float64)
        out = np.empty(self._shape_of(rows), dtype=np.float64)
        failed = self._call(
            self._handle,
            raw.ctypes.data,
            rows,
            width,
            self._mean_at,
            self._scale_at,
            self._pair,
            out.ctypes.data,
        )
        if failed == -2:
            raise MemoryError("no memory for the transformed features")
        return None if failed >= 0 else out

    def csv(self, body: bytes) -> np.ndarray | None:
        """A CSV body of plain decimal numbers (no header, LF or CRLF line ends), parsed,
        transformed and predicted in one C call (``fw_predict_csv``); None when the body needs
        the general path (any other cell, shape or value)."""
        rows = body.count(b"\n", 0, len(body.rstrip(b"\r\n"))) + 1
        return self._body(self._forest._predict_csv, body, rows)

    def json(self, body: bytes) -> np.ndarray | None:
        """``{"instances": [[numbers], ...]}`` in one C call (``fw_predict_json``); None when
        the body needs the JSON parser (anything else, valid or not)."""
        rows = body.count(b"[") - 1  # the outer list's, then one per row
        return self._body(self._forest._predict_json, body, rows) if rows > 0 else None

    def _body(self, function: Any, body: bytes, rows: int) -> np.ndarray | None:
        out = np.empty(self._shape_of(rows), dtype=np.float64)
        done = function(
            self._handle,
            body,
            len(body),
            rows,
            self._width,
            self._mean_at,
            self._scale_at,
            self._pair,
            out.ctypes.data,
        )
        if done == -2:
            raise MemoryError("no memory for the request's rows")
        return out if done == -1 else None
