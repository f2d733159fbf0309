"""The environment-variable contract between the driver, the zygote, entry processes and the
``azureml_user`` compatibility package: every name in one place.

Set by the zygote for itself (:data:`ZYGOTE_ID`), by each entry process for itself and what
it starts (the marks :mod:`daskprs.runtime.reaper` finds, and what ``EntryScript`` reads), and
by the driver for the entry script (the ``AZUREML_*`` names Azure's runtime sets).
"""

from __future__ import annotations

# marks: inherited by whatever an entry process starts; the reaper finds leftovers by them
ZYGOTE_ID = "DASKPRS_ZYGOTE_ID"  # the zygote's id, on the zygote and everything it forks
RUN_ID = "DASKPRS_RUN_ID"  # the step run's id (run dir + step)
NODE = "DASKPRS_NODE"  # the node name the logs tree uses
PROCESS_NAME = "DASKPRS_PROCESS_NAME"  # processNNN, as Azure names entry processes
MARKS = (ZYGOTE_ID, RUN_ID, NODE, PROCESS_NAME)

# read by azureml_user.parallel_run.EntryScript inside the entry process
ENTRY_SCRIPT_LOG = "DASKPRS_ENTRY_SCRIPT_LOG"  # logs/user/entry_script_log/<node>/<proc>.log.txt
LOGGING_LEVEL = "DASKPRS_LOGGING_LEVEL"  # --logging_level
CODE_DIR = "DASKPRS_CODE_DIR"  # the step's code folder (EntryScript().dir)
LOGS_DIR = "DASKPRS_LOGS_DIR"  # <step>/logs

# Azure's names, set for the entry script as Azure's runtime sets them
OUTPUT_PATH = "AZUREML_BI_OUTPUT_PATH"  # the output folder (EntryScript().output_dir)
NODE_COUNT = "AZUREML_NODE_COUNT"  # instance_count of the step
AZUREML_PREFIX = "AZUREML_"

# switches
NO_ZYGOTE = "DASKPRS_NO_ZYGOTE"  # start entry processes with Popen instead of forking
