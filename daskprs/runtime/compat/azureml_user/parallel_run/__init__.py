"""``EntryScript`` as Azure's parallel run exposes it to entry scripts (docs/logs.md).

A singleton per process: ``EntryScript()`` returns the same object in init() and run().
Attributes: ``logger`` (writes to logs/user/entry_script_log/<node>/<process>.log.txt),
``log_dir``, ``output_dir`` (AZUREML_BI_OUTPUT_PATH), ``agent_name`` (processNNN),
``working_dir`` (the step's logs parent), ``dir`` (the entry script's folder).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from daskprs.runtime import environ

_FORMAT = "%(asctime)s|%(name)s|%(levelname)s|%(process)d|%(thread)d|%(funcName)s()|%(message)s"


class EntryScript:
    _instance: EntryScript | None = None

    def __new__(cls, logging_level: str | None = None) -> EntryScript:
        if cls._instance is None:
            inst = super().__new__(cls)
            inst._setup(logging_level)
            cls._instance = inst
        return cls._instance

    def _setup(self, logging_level: str | None) -> None:
        self.agent_name = os.environ.get(environ.PROCESS_NAME, f"process{os.getpid()}")
        self.node_id = os.environ.get(environ.NODE, socket.gethostname())
        log_file = os.environ.get(environ.ENTRY_SCRIPT_LOG, "")
        self.log_dir = os.path.dirname(log_file) if log_file else os.getcwd()
        self.output_dir = os.environ.get(environ.OUTPUT_PATH, os.getcwd())
        os.makedirs(self.output_dir, exist_ok=True)
        logs = os.environ.get(environ.LOGS_DIR, "")
        self.working_dir = os.path.dirname(logs) if logs else os.getcwd()
        self.dir = os.environ.get(environ.CODE_DIR, os.getcwd())
        level = logging_level or os.environ.get(environ.LOGGING_LEVEL, "INFO")
        self.logger = logging.getLogger(f"{self.node_id}_{self.agent_name}")
        self.logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
        self.logger.propagate = False
        if log_file and not self.logger.handlers:
            os.makedirs(self.log_dir, exist_ok=True)
            handler = logging.FileHandler(log_file, encoding="utf-8")
            formatter = logging.Formatter(_FORMAT)
            formatter.converter = time.gmtime
            handler.setFormatter(formatter)
            self.logger.addHandler(handler)

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - helpful error
        raise AttributeError(f"EntryScript has no attribute {name!r}")


__all__ = ["EntryScript"]
