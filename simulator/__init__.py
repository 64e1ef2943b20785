"""Deterministic demo back office in absolute time: hourly hand-over files and a ground truth with intervals."""

from .simulate import open_world, simulate
from .truth import open_at, read_truth

__all__ = ["open_at", "open_world", "read_truth", "simulate"]
