"""Spec parsing: pipeline / parallel / component YAML -> :mod:`daskprs.spec.model` objects."""
