"""Dagster definitions of the Sybil clustering pipeline (`dagster dev -m pipelines`)."""

from pipelines.definitions import defs

__all__ = ["defs"]
