"""Attempts published by a worker that is not in the driver's process go out as batched Dask
events: successes wait up to ``interval`` (or ``max_records``), anything else goes at once."""

from __future__ import annotations

import threading
import time

from daskprs.runtime.plugin import EventBatcher, RecordBatcher
from daskprs.runtime.protocol import RUN_DONE, RUN_EXCEPTION, AttemptRecord


class _Worker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.event = threading.Event()

    def log_event(self, topic: str, msg: dict) -> None:
        self.sent.append((topic, msg))
        self.event.set()


def _ids(msg: dict) -> list[int]:
    return [r["mini_batch_id"] for r in msg["records"]]


def test_successes_are_batched_until_the_interval():
    w = _Worker()
    b = EventBatcher(w, "t", interval=0.2, max_records=100)
    t0 = time.monotonic()
    for i in range(5):
        b.add(AttemptRecord(i, 1, RUN_DONE, task="k"))
    assert w.sent == []
    assert w.event.wait(5)
    assert time.monotonic() - t0 >= 0.15
    assert [(topic, _ids(msg)) for topic, msg in w.sent] == [("t", [0, 1, 2, 3, 4])]
    assert w.sent[0][1]["records"][0]["task"] == "k"


def test_a_full_batch_goes_at_once():
    w = _Worker()
    b = EventBatcher(w, "t", interval=60, max_records=3)
    for i in range(7):
        b.add(AttemptRecord(i, 1, RUN_DONE))
    assert [_ids(m) for _, m in w.sent] == [[0, 1, 2], [3, 4, 5]]
    b.flush()
    assert [_ids(m) for _, m in w.sent][-1] == [6]


def test_a_failure_goes_at_once_with_what_is_buffered():
    w = _Worker()
    b = EventBatcher(w, "t", interval=60, max_records=100)
    b.add(AttemptRecord(0, 1, RUN_DONE))
    b.add(AttemptRecord(1, 1, RUN_EXCEPTION, error="boom"))
    assert [_ids(m) for _, m in w.sent] == [[0, 1]]
    assert w.sent[0][1]["records"][1]["error"] == "boom"


def test_discard_drops_the_buffer_and_its_timer():
    w = _Worker()
    b = EventBatcher(w, "t", interval=0.05, max_records=100)
    b.add(AttemptRecord(0, 1, RUN_DONE))
    b.discard()
    time.sleep(0.2)
    assert w.sent == []


def test_records_round_trip_through_dicts():
    rec = AttemptRecord(3, 2, RUN_DONE, process="n/p", part="f", part_offset=9, extra={"a": 1})
    d = rec.to_dict()
    d["worker"] = "tcp://x"  # Dask adds its own keys to an event
    back = AttemptRecord.from_dict(d)
    assert back == rec and back.extra is not rec.extra


def test_the_local_sink_gets_the_records_themselves_in_batches():
    batches: list[list[AttemptRecord]] = []
    b = RecordBatcher(batches.append, interval=60, max_records=2)
    recs = [AttemptRecord(i, 1, RUN_DONE) for i in range(3)]
    for rec in recs:
        b.add(rec)
    assert batches == [recs[:2]] and batches[0][0] is recs[0]
    b.add(AttemptRecord(3, 1, RUN_EXCEPTION))  # a failure goes at once, with the buffer
    assert [[r.mini_batch_id for r in batch] for batch in batches] == [[0, 1], [2, 3]]
