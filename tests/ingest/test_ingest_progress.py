"""What `criterion ingest` says while it runs: lines with the count, the rate and the time left
(the file being read), from the first file on; and, after a run killed midway, one line saying so
before the rerun resumes it, the same hint in an error about the unusable index."""

from __future__ import annotations

import io
import re
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.settings import Settings
from ingest.encoding import STILL_READING
from ingest.progress import ProgressLines, read_marker, resume_hint
from ingest.sync import sync

from test_resume import sectioned
from test_sync import make_corpus

RATE_AND_ETA = re.compile(r"· \d+\.\d (files|chunks)/s · (ETA \d+(s|m\d\ds|h\d\dm)|done)")


class Ticks:
    """A clock that moves one second each time it is read: every call of the callback is "due"."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def bulky(root: Path, docs: int = 40) -> Path:
    """~800 chunks: many embedding steps (of 64), so lines appear while vectors are still being written."""
    (root / "bulk").mkdir(parents=True)
    for i in range(docs):
        (root / "bulk" / f"doc{i:02d}.md").write_text(sectioned(f"bulk topic {i}", sections=20))
    return root


def test_progress_lines_carry_the_count_the_rate_the_eta_and_the_file(tmp_path, fake_settings):
    out = io.StringIO()
    report = sync([bulky(tmp_path / "corpus")], fake_settings, progress=ProgressLines(out, clock=Ticks()))
    lines = out.getvalue().splitlines()
    read = [line for line in lines if line.startswith("read ")]
    embedded = [line for line in lines if line.startswith("embedded ")]
    assert read[0].startswith("read 1/40 files") and read[0].endswith("· bulk/doc00.md")
    assert read[-1].startswith("read 40/40 files") and read[-1].endswith("· bulk/doc39.md")
    assert all(RATE_AND_ETA.search(line) for line in read[1:] + embedded[1:]), lines
    # encoding starts while files are still read: the total is the chunks known so far, and says so
    first_total = int(embedded[0].split()[1].split("/")[1])
    assert embedded[0] == f"embedded 0/{first_total} chunks · 0.0 chunks/s · ETA … · {STILL_READING}"
    assert 512 <= first_total < report.chunks_embedded
    assert embedded[1].startswith("embedded 64/") and "ETA " in embedded[1]
    assert embedded[-1].startswith(f"embedded {report.chunks_embedded}/{report.chunks_embedded} chunks")
    assert embedded[-1].endswith("· done")
    # reading ended before encoding did: the lines from then on carry the final total
    assert any(line.startswith("embedded ") and STILL_READING not in line and "· done" not in line for line in lines)


def test_the_first_line_comes_before_embedding_finishes(tmp_path, fake_settings):
    """The real clock and the default two seconds: the first file and the first batch print at once."""
    out = io.StringIO()
    lines = ProgressLines(out)
    printed_when_embedding_ended: list[int] = []

    def watched(phase: str, done: int, total: int, item: str = "") -> None:
        lines(phase, done, total, item)
        if phase == "embed" and done == total:
            printed_when_embedding_ended.append(len(out.getvalue().splitlines()) - 1)  # before this call's line

    sync([bulky(tmp_path / "corpus")], fake_settings, progress=watched)
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("read 1/40 files · 0.0 files/s · ETA … · bulk/doc00.md")
    before = printed[:printed_when_embedding_ended[0]]
    assert any(line.startswith("read ") for line in before)
    assert any(line.startswith("embedded 64/") for line in before)  # the first step, not only the last


def killed_midway(corpus: Path, settings: Settings) -> None:
    """Stop a sync as `kill -9` would: after its first step is embedded and stored, before the commit (the
    marker stays, the vectors stay staged); see tests/ingest/test_resume.py."""

    class Killed(Exception):
        pass

    def kill_after_first_batch(phase: str, done: int, total: int) -> None:
        if phase == "embed" and done:
            raise Killed

    try:
        sync([corpus], settings, progress=kill_after_first_batch)
    except Killed:
        return
    raise AssertionError("the sync finished before it could be stopped")


def test_a_rerun_says_the_last_run_was_interrupted_and_resumes_it(tmp_path, fake_settings, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", ["ivig"])
    sync([corpus], fake_settings)
    bulky(corpus)
    killed_midway(corpus, fake_settings)
    marker = read_marker(fake_settings.index_path)
    assert marker and marker.paths == [str(corpus.resolve())] and marker.embedded == 64 and marker.total > 512

    index = str(fake_settings.index_path)
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")
    monkeypatch.setenv("CRITERION_DATA_DIR", str(fake_settings.data_dir))
    unusable = CliRunner().invoke(app, ["criteria", "bulk/doc00", "--index", index])
    assert f"resume it with `criterion ingest {corpus.resolve()} --index {index}`" in unusable.output

    result = CliRunner().invoke(app, ["ingest", str(corpus), "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"the last ingest into {index} (started 20")
    assert "UTC) was interrupted after 20" in first
    assert first.endswith(f"with 64/{marker.total} chunks embedded; this run resumes it (chunks already embedded are kept)")
    assert '"chunks_resumed": 64' in result.stdout
    assert read_marker(fake_settings.index_path) is None and resume_hint(fake_settings.index_path) == ""

    again = CliRunner().invoke(app, ["ingest", str(corpus), "--index", index])
    assert "interrupted" not in again.output  # a clean run leaves nothing to report


def test_a_rerun_killed_before_it_embeds_still_reports_what_the_first_run_kept(tmp_path, fake_settings):
    corpus = bulky(make_corpus(tmp_path / "corpus", ["ivig"]))
    killed_midway(corpus, fake_settings)

    def killed_while_reading(phase: str, done: int, total: int) -> None:
        if phase == "read":
            raise KeyboardInterrupt

    try:
        sync([corpus], fake_settings, progress=killed_while_reading)
    except KeyboardInterrupt:
        pass
    marker = read_marker(fake_settings.index_path)
    assert marker and marker.embedded == 64 and marker.total > 512
    assert "with 64/" in resume_hint(fake_settings.index_path)
    assert sync([corpus], fake_settings).chunks_resumed == 64
