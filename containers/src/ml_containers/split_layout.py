"""Which files hold a split of preprocess's output: one file, or one part per preprocessing host.

One preprocessing host writes ``<split>.csv`` (or, for the train split, ``train-part-KKKKK.csv``
per training host); P > 1 hosts each write their own parts, ``<split>-part-HHHHH.csv`` (train:
``train-part-KKKKK-HHHHH.csv``), and the batch split's ``batch-part-HHHHH.csv`` pairs row for row
with ``labels-part-HHHHH.csv``. A split's rows are its parts concatenated in name order (the
indexes are zero padded, so name order is host order; train: training host, then preprocessing
host). Any part may be empty.

Every reader of a split goes through :func:`split_names`: it takes the single file or every part,
never only ``test.csv`` when parts exist beside it, and a folder holding both forms or neither is
an error naming the folder and what it holds. The rules work on names, so the orchestrator applies
them to an artifact store's listing as the jobs apply them to their input folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

BATCH_SPLIT = "batch"
LABELS_SPLIT = "labels"
SHOWN_NAMES = 8  # names quoted in an error, at most


class SplitLayoutError(ValueError):
    """A folder does not hold a split in either layout (or holds both); the message says what."""


def single_name(split: str) -> str:
    return f"{split}.csv"


def part_pattern(split: str) -> str:
    return f"{split}-part-*.csv"


def _found(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return "nothing"
    shown = ", ".join(listed[:SHOWN_NAMES])
    return shown + (f" and {len(listed) - SHOWN_NAMES} more" if len(listed) > SHOWN_NAMES else "")


def check_one_form(names: Iterable[str], split: str, where: str) -> None:
    """Refuse ``names`` that hold both ``<split>.csv`` and ``<split>-part-*.csv`` files: two
    runs' outputs mixed in one place. A folder of several parts, or none (one host's shard of a
    ShardedByS3Key channel may be empty), passes."""
    present = set(names)
    single = single_name(split)
    parts = sorted(n for n in present if fnmatchcase(n, part_pattern(split)))
    if single in present and parts:
        raise SplitLayoutError(
            f"{where} holds both {single} and {len(parts)} {part_pattern(split)} file(s) "
            f"({_found(parts)}): one preprocess run writes one form, so these are two runs' "
            "outputs mixed in one place; point the input at a single run's output"
        )


def split_names(names: Iterable[str], split: str, where: str) -> list[str]:
    """The file names of ``split`` among ``names`` (one folder's files), in reading order:
    ``[<split>.csv]`` or every ``<split>-part-*.csv`` sorted by name."""
    present = set(names)
    check_one_form(present, split, where)
    single = single_name(split)
    if single in present:
        return [single]
    parts = sorted(n for n in present if fnmatchcase(n, part_pattern(split)))
    if parts:
        return parts
    raise SplitLayoutError(
        f"{where} holds no {single} and no {part_pattern(split)} (found: {_found(present)}); "
        f"point it at the {split} output of preprocess"
    )


def split_files(directory: Path, split: str) -> list[Path]:
    """:func:`split_names` over the files directly in ``directory``, as paths."""
    names = [p.name for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []
    return [directory / name for name in split_names(names, split, str(directory))]


def paired_names(names: Iterable[str], where: str) -> list[tuple[str, str]]:
    """The held-out rows and their labels, as (batch file, labels file) pairs in reading order:
    ``batch.csv`` with ``labels.csv``, or ``batch-part-H.csv`` with ``labels-part-H.csv`` for
    every host H. A part without its partner, or one split in each form, is an error."""
    present = set(names)
    batch = split_names(present, BATCH_SPLIT, where)
    labels = split_names(present, LABELS_SPLIT, where)
    batch_single = batch == [single_name(BATCH_SPLIT)]
    if batch_single != (labels == [single_name(LABELS_SPLIT)]):
        raise SplitLayoutError(
            f"{where} holds {_found(batch)} and {_found(labels)}: the rows and their labels are "
            "in different layouts (one preprocessing host and several), so they do not pair up"
        )
    if batch_single:
        return [(batch[0], labels[0])]
    by_host = {n.removeprefix(BATCH_SPLIT): n for n in batch}
    labels_by_host = {n.removeprefix(LABELS_SPLIT): n for n in labels}
    unpaired = sorted(
        [by_host[h] for h in set(by_host) - set(labels_by_host)]
        + [labels_by_host[h] for h in set(labels_by_host) - set(by_host)]
    )
    if unpaired:
        raise SplitLayoutError(
            f"{where}: {_found(unpaired)} has no partner (every batch-part-HHHHH.csv pairs row "
            "for row with labels-part-HHHHH.csv of the same host); the held-out set is incomplete"
        )
    return [(by_host[h], labels_by_host[h]) for h in sorted(by_host)]
