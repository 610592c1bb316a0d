"""The option sets commands share, as functions that add them to a command's parser.

Each command composes the sets it needs in its own ``arguments`` function, so what a command
accepts is readable in one place and no parser's state is copied into another.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from orchestrator.settings.overrides import EnvironmentSource

DEFAULT_POLL_SECONDS = 30.0


class _EnvironmentSourceAction(argparse.Action):
    """``--environments-dir`` and ``--set`` both fill ``args.environments_dir``: an
    :class:`EnvironmentSource` (the folder and the overrides), whatever their order."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        current = getattr(namespace, self.dest, None)
        if not isinstance(current, EnvironmentSource):
            current = EnvironmentSource(current)
        text = str(values)
        if option_string == "--set":
            if "=" not in text or not text.partition("=")[0].strip():
                parser.error(
                    f"--set {text!r} is not KEY=VALUE; write e.g. --set training.instance_count=2"
                )
            current = replace(current, overrides=(*current.overrides, text))
        else:
            current = replace(current, directory=Path(text))
        setattr(namespace, self.dest, current)


def environment(parser: argparse.ArgumentParser, output_format: bool = True) -> None:
    """``--env``, ``--environments-dir``, ``--set`` and (unless the command writes a file)
    ``--output``."""
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument(
        "--environments-dir",
        action=_EnvironmentSourceAction,
        default=None,
        help="folder of <env>.yaml files",
    )
    parser.add_argument(
        "--set",
        action=_EnvironmentSourceAction,
        dest="environments_dir",
        metavar="KEY=VALUE",
        help="override one setting of the environment file for this command, checked like the "
        "file (repeatable), e.g. --set training.instance_count=2 (short names: training, "
        "preprocessing/processing, preprocess, tuning stand for pipeline.<name>)",
    )
    if output_format:
        parser.add_argument(
            "--output", choices=("table", "json"), default="table", help="table (default) or json"
        )


def terraform(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--terraform-dir", type=Path, help="the Terraform root module (default: ./terraform)"
    )


def stack(parser: argparse.ArgumentParser) -> None:
    """Where an aws environment's stack outputs come from."""
    parser.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="aws: the JSON `terraform output -json` printed (default: read the stack's state)",
    )
    terraform(parser)


def waiting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, help="seconds to wait at most")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_SECONDS,
        help=f"seconds between checks (default {DEFAULT_POLL_SECONDS:g})",
    )


def image(parser: argparse.ArgumentParser) -> None:
    """The image the pipeline's jobs run (aws environments)."""
    parser.add_argument(
        "--image",
        metavar="TAG|DIGEST|REF",
        help="aws: the image the jobs run, a tag, sha256 digest or reference into the stack's "
        "repository (default: the image pushed for this commit); pinned by digest",
    )


def preflight(parser: argparse.ArgumentParser) -> None:
    """The offline preflight that guards commands changing AWS (aws environments)."""
    parser.add_argument(
        "--skip-preflight",
        action="store_true",
        help="aws: do not run the offline preflight first (for a finding you have checked "
        "against AWS's documentation, e.g. an action newer than the IAM reference)",
    )


def parameters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        help="pipeline parameter override NAME=VALUE (repeatable)",
    )


def dataset(parser: argparse.ArgumentParser) -> None:
    """Which dataset's model package group a command means."""
    parser.add_argument(
        "--dataset",
        metavar="NAME",
        help="the dataset (its schema's name) whose models to use (default: the environment's "
        "dataset); each dataset has its own model package group",
    )
