"""What a step run returns: :class:`StepResult` (job.json's ``steps.<name>``, the API's
``result.steps[name]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daskprs.status import Job

COMPLETED = Job.COMPLETED
FAILED = Job.FAILED
CANCELED = Job.CANCELED
SKIPPED = Job.SKIPPED


@dataclass
class StepResult:
    name: str
    status: str
    cause: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    logs_dir: str = ""
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "cause": self.cause,
            "counts": self.counts,
            "outputs": self.outputs,
            "logs": self.logs_dir,
            "seconds": round(self.seconds, 3),
            **self.info,
        }

    @classmethod
    def from_summary(cls, name: str, doc: dict[str, Any]) -> StepResult:
        """The result as job.json recorded it (``--resume`` of a finished run)."""
        known = {"status", "cause", "counts", "outputs", "logs", "seconds"}
        return cls(
            name,
            doc.get("status", ""),
            doc.get("cause", ""),
            dict(doc.get("counts", {})),
            dict(doc.get("outputs", {})),
            doc.get("logs", ""),
            float(doc.get("seconds", 0.0)),
            {k: v for k, v in doc.items() if k not in known},
        )
