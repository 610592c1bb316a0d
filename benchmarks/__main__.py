"""``python -m benchmarks [serving|batch|training|local-run|all] [--quick]``: see README.md."""

from .run_all import main

raise SystemExit(main())
