"""Ingestion throughput on a folder (default ../shared/real-corpus) against the raw encoder on the
same chunks, plus the incremental checks: a second run re-embeds nothing, a touched file re-indexes
alone. Usage: python -m bench.ingest_throughput [FOLDER]  (writes bench/ingest.md)."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.backends import make_embeddings  # noqa: E402
from app.engine.retrieve.index import current_generation, read_chunks  # noqa: E402
from app.settings import Settings  # noqa: E402
from ingest.indexing import embed_text  # noqa: E402
from ingest.sync import sync  # noqa: E402


def main(folder: Path) -> str:
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        # a copy of the folder, so the incremental check can touch a file without changing the source
        work = Path(tmp) / "copy"
        shutil.copytree(folder, work)
        settings = Settings(data_dir=Path(tmp) / "data")
        first = sync([work], settings)
        second = sync([work], settings)
        victim = sorted(p for p in work.rglob("*") if p.suffix in (".md", ".html", ".txt") and p.name not in settings.ingest.exclude)[0]
        victim.write_text(victim.read_text() + "\n\nAppended paragraph for the incremental check.\n")
        touched = sync([work], settings)
        chunks = read_chunks(current_generation(settings.index_path))
        texts = [embed_text(c) for c in chunks]
        encoder = make_embeddings(settings)
        # the raw encoder on a fixed sample of the same chunk texts, median of 3 runs (the machine is shared)
        import random
        import statistics

        sample = random.Random(0).sample(texts, min(len(texts), 1500))
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            encoder.embed_documents(sample)
            runs.append(time.perf_counter() - t0)
        raw = statistics.median(runs) * len(texts) / len(sample)
    kinds = {}
    for d in first.added:
        kinds[d.split("/")[0]] = kinds.get(d.split("/")[0], 0) + 1
    pipeline_rate = first.chunks_embedded / first.seconds
    raw_rate = len(texts) / raw
    lines = [
        f"# Ingestion throughput — {folder}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| documents added (first run) | {len(first.added)} ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}) |",
        f"| failed / skipped | {len(first.failed)} / {len(first.skipped)} |",
        f"| chunks | {first.chunks_total} |",
        f"| PDF pages read | {first.pages_read} |",
        f"| first run | {first.seconds:.1f} s ({pipeline_rate:.1f} chunks/s end to end) |",
        f"| raw encoder, same texts (median of 3 runs on a 1,500-chunk sample, scaled to {len(texts)}) | {raw:.1f} s ({raw_rate:.1f} chunks/s) |",
        f"| pipeline / raw encoder ratio | {pipeline_rate / raw_rate:.2f} |",
        f"| second run | {len(second.unchanged)} unchanged, {second.chunks_embedded} chunks embedded, {second.seconds:.1f} s |",
        f"| after touching one file | updated {touched.updated}, {len(touched.unchanged)} unchanged, "
        f"{touched.chunks_embedded} chunks embedded |",
    ]
    for path, reason in first.failed:
        lines.append(f"- failed: {path}: {reason}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/real-corpus")
    report = main(folder)
    Path("bench/ingest.md").write_text(report)
    print(report)
