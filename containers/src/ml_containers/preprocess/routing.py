"""Where each accepted row goes: its split (train, validation or test), the split's spool and,
for training rows, the transform fitter.

A split depends on a row's place in the whole input (its row index for regression, its ordinal
within its class for classification), so the router is told where each input file starts in the
whole input (:meth:`Router.start_file`): on one host by counting as it goes, on several by the
offsets the hosts agreed on (:mod:`.distributed`). Either way a row gets the split one host
reading every file in order would give it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mixing import mix64
from ..schema import DatasetSchema
from ..validation import ValidatedChunk
from .fitfeed import FitFeeder
from .report import Report
from .split import TEST, TRAIN, VALIDATION, StratifiedSplitter, assign_splits
from .spools import SplitSpool

if TYPE_CHECKING:
    from .pipeline import PreprocessConfig

# Salt for the fitter's sample priorities, so they are not the split's numbers for the same seed.
_SAMPLE_SALT = 0x5A3B_1E00


class Router:
    """Routes the accepted rows of one input file after another."""

    def __init__(
        self,
        config: PreprocessConfig,
        schema: DatasetSchema,
        spools: list[SplitSpool],
        feeder: FitFeeder,
        report: Report,
    ) -> None:
        self.config = config
        self.schema = schema
        self.spools = spools
        self.feeder = feeder
        self.report = report
        self.row_offset = 0
        self.stratified = (
            StratifiedSplitter(
                schema.num_classes, config.seed, config.validation_fraction, config.test_fraction
            )
            if schema.problem_type.is_classification
            else None
        )

    def start_file(self, row_offset: int, class_offsets: np.ndarray | None = None) -> None:
        """The next rows come from a file whose first row is row ``row_offset`` of the whole
        input and before which ``class_offsets`` accepted rows of each class came (None: as
        many as this router has routed; ignored for regression)."""
        self.row_offset = row_offset
        if class_offsets is not None and self.stratified is not None:
            self.stratified.start_at(class_offsets)

    def end_file(self, index: int) -> None:
        """The file (``index`` in the whole input's file order) has no more rows."""
        self.feeder.end_file(index)

    def route(self, checked: ValidatedChunk, rows_in_file: np.ndarray, hashes: np.ndarray) -> None:
        """Route the chunk's accepted rows; ``rows_in_file`` are their row numbers in the file
        (0-based), ``hashes`` their key hashes."""
        splits = self._splits(checked, rows_in_file)
        report = self.report
        for code in (TRAIN, VALIDATION, TEST):
            mask = checked.accepted & (splits == code)
            count = int(mask.sum())
            if not count:
                continue
            self.spools[code].write(checked.text, mask)
            report.splits[code] += count
            if self.schema.problem_type.is_classification:
                report.class_counts[code] += np.bincount(
                    checked.labels[mask], minlength=self.schema.num_classes
                )
            if code == TRAIN:
                priorities = mix64(hashes[mask], self.config.seed ^ _SAMPLE_SALT)
                self.feeder.add(checked.feature_columns(mask), count, priorities)

    def _splits(self, checked: ValidatedChunk, rows_in_file: np.ndarray) -> np.ndarray:
        """Split codes per chunk row (-1 for rejected rows under classification)."""
        fractions = (self.config.validation_fraction, self.config.test_fraction)
        if self.stratified is None:
            return assign_splits(self.row_offset + rows_in_file, self.config.seed, *fractions)
        codes = np.full(checked.rows, -1, dtype=np.int8)
        codes[checked.accepted] = self.stratified.assign(checked.labels[checked.accepted])
        return codes
