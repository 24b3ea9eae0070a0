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
        encoder = make_embeddings(settings, for_ingest=True)  # what ingest encodes with (all cores)
        import random
        import statistics

        # the raw encoder on a fixed sample of chunk texts, once before the ingest and twice after
        # (the machine is shared: the median brackets the ingest); the sample comes from a quick
        # split of the folder with the same chunker, so the texts are the ingest's own
        sample = random.Random(0).sample(_chunk_texts(work, settings), 1500)
        runs = [_timed(encoder.embed_documents, sample)]
        phases: dict[str, float] = {}
        t0 = time.perf_counter()

        def progress(phase, done, total, item=""):
            now = time.perf_counter() - t0
            phases.setdefault(f"{phase}_first", now)
            phases[f"{phase}_last"] = now

        first = sync([work], settings, progress=progress)
        second = sync([work], settings)
        victim = sorted(p for p in work.rglob("*") if p.suffix in (".md", ".html", ".txt") and p.name not in settings.ingest.exclude)[0]
        victim.write_text(victim.read_text() + "\n\nAppended paragraph for the incremental check.\n")
        touched = sync([work], settings)
        chunks = read_chunks(current_generation(settings.index_path))
        texts = [embed_text(c) for c in chunks]
        runs += [_timed(encoder.embed_documents, sample) for _ in range(2)]
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
        f"| where the first run's time went | reading alone {phases.get('embed_first', 0):.1f} s (until the first "
        f"vector); reading and encoding side by side {phases.get('embed_last', 0) - phases.get('embed_first', 0):.1f} s; "
        f"the rest (recommendation vectors, commit) {first.seconds - phases.get('embed_last', 0):.1f} s |",
        f"| raw encoder, same texts (ingest threads; median of 3 runs on a 1,500-chunk sample, one before the "
        f"ingest, two after; scaled to {len(texts)}) | {raw:.1f} s ({raw_rate:.1f} chunks/s); runs "
        f"{', '.join(f'{r:.1f}' for r in runs)} s |",
        f"| pipeline / raw encoder ratio | {pipeline_rate / raw_rate:.2f} |",
        f"| of the first run, time inside the encoder (chunks and recommendation texts) | {first.encode_seconds:.1f} s "
        f"({first.encode_seconds / first.seconds:.2f} of the run; measured at the same moments as the run, so the "
        f"load of other work falls on both) |",
        f"| second run | {len(second.unchanged)} unchanged, {second.chunks_embedded} chunks embedded, {second.seconds:.1f} s |",
        f"| after touching one file | updated {touched.updated}, {len(touched.unchanged)} unchanged, "
        f"{touched.chunks_embedded} chunks embedded |",
    ]
    for path, reason in first.failed:
        lines.append(f"- failed: {path}: {reason}")
    return "\n".join(lines) + "\n"


def _timed(fn, arg) -> float:
    t0 = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t0


def _chunk_texts(folder: Path, settings: Settings) -> list[str]:
    """The texts the encoder will read, from a lexical-only dry split (no vectors)."""
    from app.backends import make_token_counter, max_chunk_tokens
    from ingest.chunking import chunk_document
    from ingest.loaders import load_document
    from ingest.metadata import resolve

    count, texts = make_token_counter(settings), []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in settings.ingest.extensions):
        try:
            doc = load_document(path, max_bytes=int(settings.ingest.max_file_mb * 1e6))
        except Exception:  # noqa: BLE001 - the ingest reports it
            continue
        meta, _ = resolve(doc, path.stem)
        chunks = chunk_document(doc, document_id=path.stem, meta=meta, max_tokens=max_chunk_tokens(settings),
                                overlap_tokens=settings.chunking.overlap_tokens, count=count)
        texts += [embed_text(c) for c in chunks]
    return texts


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/real-corpus")
    report = main(folder)
    Path("bench/ingest.md").write_text(report)
    print(report)
