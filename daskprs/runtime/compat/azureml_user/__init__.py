"""Compatibility shim: ``from azureml_user.parallel_run import EntryScript`` works unmodified."""
