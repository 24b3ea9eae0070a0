"""Files read by a thread while chunks encode (``ingest/reading.py``): results in file order, a bad
file a reason and never an exception, the reader stopped when the caller stops (nothing left
running after an error or Ctrl-C), and a fault of the reader itself raised in the caller."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingest import reading
from ingest.reading import Job, ReadConfig, read_ahead


def config(max_bytes: int = 1_000_000) -> ReadConfig:
    return ReadConfig(max_bytes=max_bytes, max_tokens=200, overlap_tokens=0, chunk_config="test",
                      count=lambda texts: [len(t.split()) for t in texts])


def jobs(root: Path, n: int) -> list[Job]:
    out = []
    for i in range(n):
        path = root / f"doc{i:02d}.md"
        path.write_text(f"---\ntitle: Document {i}\n---\n# Document {i}\n\n## Coverage\n\nService {i} is covered when "
                        f"criterion {i} is met.\n")
        out.append(Job(path, root, f"doc{i:02d}", None, "m", None))
    return out


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "criterion-reader"]


def test_results_come_in_file_order_with_chunks_criteria_and_notes(tmp_path):
    got = list(read_ahead(jobs(tmp_path, 12), config(), ahead=3))
    assert [g.job.document_id for g in got] == [f"doc{i:02d}" for i in range(12)]
    assert all(g.chunks and g.compiled is not None and set(g.notes) == {c.chunk_id for c in g.chunks} for g in got)
    assert not readers()


def test_a_bad_file_is_a_reason_and_the_rest_are_read(tmp_path):
    work = jobs(tmp_path, 3)
    work[1].path.write_bytes(b"x" * 2_000)
    (tmp_path / "gone.md").write_text("x")
    work.append(Job(tmp_path / "gone.md", tmp_path, "gone", None, "m", None))
    (tmp_path / "gone.md").unlink()
    got = list(read_ahead(work, config(max_bytes=1_000)))
    assert [bool(g.failure) for g in got] == [False, True, False, True]
    assert "over the 0.0 MB limit" in got[1].failure and got[3].failure.startswith("cannot read")


def test_the_reader_stops_when_the_caller_stops(tmp_path):
    results = read_ahead(jobs(tmp_path, 40), config(), ahead=2)
    next(results)
    results.close()  # the caller stopped: an error, Ctrl-C
    assert not readers()


def test_the_reader_stops_when_the_caller_raises_midway(tmp_path):
    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        for i, _ in enumerate(read_ahead(jobs(tmp_path, 40), config(), ahead=2)):
            if i == 1:
                raise Stop
    time.sleep(0.01)
    assert not readers()


def test_a_fault_of_the_reader_itself_is_raised_in_the_caller(tmp_path, monkeypatch):
    def broken(job, config):
        if job.document_id == "doc02":
            raise RuntimeError("reader bug")
        return reading.FileRead(job, unchanged=True)

    monkeypatch.setattr(reading, "read_file", broken)
    seen = []
    with pytest.raises(RuntimeError, match="reader bug"):
        for got in read_ahead(jobs(tmp_path, 5), config()):
            seen.append(got.job.document_id)
    assert seen == ["doc00", "doc01"] and not readers()
