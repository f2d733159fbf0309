"""The Azure logs tree of a step (docs/logs.md)."""
