"""daskprs benchmark suite (see benchmarks/README.md)."""
