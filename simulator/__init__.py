"""Deterministic demo back office: orders, stock and carrier feeds with known anomalies."""

from .simulate import CHECKS, simulate

__all__ = ["CHECKS", "simulate"]
