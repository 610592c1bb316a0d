"""Build the forest walker ahead of time (an image's build stage, where a compiler exists and
the runtime image has none): ``python -m ml_containers.forest.build --into-package [--cc CMD]``.

Exit codes: 0 built (the path is printed), 1 it could not be built (the reason on stderr; serve
then builds it at start-up if a compiler is there, or predicts with XGBoost).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .native import NativeUnavailable, compile_library, library_name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml_containers.forest.build")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--into-package", action="store_true", help="next to the package's code")
    where.add_argument("--out", help="this path")
    parser.add_argument("--cc", help="the compiler command (default $CC, cc, gcc or clang)")
    args = parser.parse_args(argv)
    target = Path(__file__).with_name(library_name()) if args.into_package else Path(args.out)
    try:
        compile_library(target, args.cc.split() if args.cc else None)
    except NativeUnavailable as exc:
        print(f"forest walker not built: {exc}", file=sys.stderr)
        return 1
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
