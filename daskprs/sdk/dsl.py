"""``from daskprs.sdk.dsl import pipeline``, as ``from azure.ai.ml.dsl import pipeline``."""

from daskprs.sdk.pipeline import pipeline

__all__ = ["pipeline"]
