"""Worker side: entry-script processes, their pool and the Dask worker plugin."""
