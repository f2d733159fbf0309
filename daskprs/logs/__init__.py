"""The Azure logs tree of a step (product.md §5)."""
