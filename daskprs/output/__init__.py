"""append_row output: row formatting (in the worker) and ordered assembly (in the driver)."""
