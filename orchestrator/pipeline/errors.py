"""The one error the pipeline builder raises: every problem found, each with its path."""

from __future__ import annotations


class DefinitionError(ValueError):
    """A pipeline definition (or the config it is built from) is invalid.

    ``problems`` lists every problem found, each prefixed with where it is (step, then argument
    path), so one run shows everything to fix instead of the first problem only.
    """

    def __init__(self, problems: list[str], context: str = "the pipeline definition") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"{context} is invalid ({count} {noun}): "
            + "; ".join(self.problems)
            + ". Fix the pipeline config (or the builder) so the definition matches the SageMaker "
            "API it stands for."
        )
