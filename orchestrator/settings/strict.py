"""The base of every settings model: an unknown key is an error and values never change.

``extra="forbid"`` turns a misspelt key in an environment file into a named error instead of a
silently ignored setting; ``frozen`` lets one validated object be shared by the flows and the
backends without anyone changing it underneath the others.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A settings section: unknown keys refused, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
