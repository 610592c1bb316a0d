"""``orchestrator image build|push``: the image every SageMaker job and endpoint runs."""

from __future__ import annotations

import argparse
import sys

from orchestrator.cli import options
from orchestrator.cli.console import ProgressPrinter, show
from orchestrator.cli.registry import command, group
from orchestrator.images.build import VARIANTS

group("image", "the container image: build it, push it to the stack's repository")


def _engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("docker", "podman"),
        help="the container engine (default: the first of docker, podman that works)",
    )


def _variant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="cpu",
        help="cpu (default): XGBoost without CUDA, the smaller image; gpu: XGBoost with CUDA for "
        "GPU training instances (ml.g*/ml.p*), tagged <sha>-gpu",
    )


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    _engine(parser)
    _variant(parser)
    parser.add_argument(
        "--base-image",
        metavar="IMAGE",
        help="the Dockerfile's BASE_IMAGE (default: the official python:3.11-slim-bookworm)",
    )


def _push_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    _engine(parser)
    _variant(parser)
    parser.add_argument(
        "--tag",
        help="the local build to push, ml-containers:TAG (default: this commit's --variant build)",
    )
    options.stack(parser)


@command(
    "image",
    "build",
    help="build containers/ tagged with the commit (<sha>, or <sha>-dirty)",
    arguments=_build_arguments,
)
def image_build(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.images import build

    config = context.environment(args)
    printer = ProgressPrinter(sys.stderr)
    built = build(config, args.engine, args.base_image, printer.note, variant=args.variant)
    show(args.output, built.to_dict(), [("image", built.reference), ("id", built.image_id)])
    return 0


@command(
    "image",
    "push",
    help="push this commit's build to the stack's ECR repository (prints the digest)",
    arguments=_push_arguments,
)
def image_push(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.images import push

    config = context.environment(args)
    printer = ProgressPrinter(sys.stderr)
    pushed = push(
        config, context.stack_source(args), args.engine, args.tag, printer.note, args.variant
    )
    rows = [("image", f"{pushed.repository}:{pushed.tag}"), ("digest", pushed.digest)]
    show(args.output, pushed.to_dict(), [*rows, ("pushed", "yes" if pushed.pushed else "no")])
    return 0
