"""Kill -9 the server while it ingests an upload; restart it: the index answers exactly as before
the upload, the killed upload's file is gone (a later, unrelated upload does not ingest it), and
the upload can simply be sent again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.load import free_port, wait_ready
from service_kit import CPAP, SEED, SEED_PATIENT

ROOT = Path(__file__).resolve().parents[2]


def start_server(settings, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CRITERION_DATA_DIR": str(settings.data_dir), "CRITERION_EMBEDDING__BACKEND": "fake",
           "CRITERION_API__AUTH": "off", "CRITERION_API__RATE_LIMIT_PER_MINUTE": "100000"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}", seconds=60)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}: {log.read_text()[-2000:]}") from None
    return proc


def observed(url: str) -> dict:
    ask = lambda q, p=None: {k: v for k, v in httpx.post(f"{url}/v1/ask", json={"question": q, "patient": p},
                                                          timeout=30).json().items() if k != "timings_ms"}
    ready = httpx.get(f"{url}/readyz").json()
    return {"documents": httpx.get(f"{url}/v1/documents").json(), "chunks": ready["chunks"],
            "seed": ask(SEED, SEED_PATIENT), "cpap": ask(CPAP)}


KNEE = b"---\ntitle: Knee arthroscopy\ndoc_type: policy\n---\n# Knee arthroscopy\n\n## Policy\n\n" \
       b"Arthroscopic debridement of the knee is not covered for osteoarthritis.\n"


def bulky_policy() -> bytes:
    parts = ["---\ntitle: Bulk policy\ndoc_type: policy\n---\n# Bulk policy\n"]
    for i in range(2500):
        parts.append(f"\n## Topic {i}\n\nProcedure {i} is covered for condition {i} when criterion {i} is documented.\n")
    return "".join(parts).encode()


def test_kill_9_during_an_upload_then_restart(settings, tmp_path):
    port, log = free_port(), tmp_path / "server.log"
    url = f"http://127.0.0.1:{port}"
    server = start_server(settings, port, log)
    try:
        before = observed(url)
        data = bulky_policy()
        sending = threading.Thread(target=lambda: _upload(url, data), daemon=True)
        sending.start()
        marker = settings.index_path / "SYNC_IN_PROGRESS"
        deadline = time.time() + 60
        while not marker.exists() and time.time() < deadline and sending.is_alive():
            time.sleep(0.002)
        assert marker.exists(), "the upload finished before the server could be killed"
        time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        sending.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == -signal.SIGKILL

    server = start_server(settings, port, log)
    uploads = settings.data_dir / "uploads" / "uploads"
    try:
        assert observed(url) == before  # the index answers exactly as before the upload
        assert sorted(p.name for p in uploads.iterdir()) == []  # the killed upload was undone at start-up
        other = httpx.post(f"{url}/v1/documents", files={"file": ("knee.md", KNEE)}, timeout=120)
        assert other.status_code == 201, other.text
        assert other.json()["outcome"] == "added"
        listed = [d["id"] for d in httpx.get(f"{url}/v1/documents").json()["documents"]]
        assert listed == ["policies/immune-globulin", "policies/pap", "uploads/knee"]  # only the second file was added
        assert sorted(p.name for p in uploads.iterdir()) == ["knee.md"]

        retry = httpx.post(f"{url}/v1/documents", files={"file": ("bulk.md", data)}, timeout=120)
        assert retry.status_code == 201, retry.text
        assert retry.json()["document"]["chunks"] == 2500
        after = observed(url)
        assert after["chunks"] == before["chunks"] + 2500 + 1
        assert [d["id"] for d in after["documents"]["documents"]] == [
            "policies/immune-globulin", "policies/pap", "uploads/bulk", "uploads/knee"]
        answer = httpx.post(f"{url}/v1/ask", json={"question": "Is procedure 1234 covered for condition 1234?"}).json()
        assert answer["citations"][0]["document_id"] == "uploads/bulk"
    finally:
        server.terminate()
        server.wait(timeout=30)
    # no stray vectors: the collection holds exactly the committed chunks
    check = subprocess.run([sys.executable, "-c", CHECK, str(settings.data_dir)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**os.environ, "CRITERION_EMBEDDING__BACKEND": "fake"})
    assert check.returncode == 0, check.stderr
    counts = json.loads(check.stdout)
    assert counts["vectors"] == counts["chunks"] == before["chunks"] + 2500 + 1
    assert counts["collections"] == 1  # no staging or half-built collection left


CHECK = """
import json, sys
from pathlib import Path
from app.backends import embedder_stamp, make_chroma_client
from app.engine.retrieve.index import open_index
from app.settings import Settings
s = Settings(data_dir=Path(sys.argv[1]), embedding={"backend": "fake"})
index = open_index(s.index_path, stamp=embedder_stamp(s))
client = make_chroma_client(s)
print(json.dumps({"chunks": len(index.chunks), "vectors": client.get_collection(index.collection).count(),
                  "collections": len(client.list_collections())}))
"""


def _upload(url: str, data: bytes) -> None:
    try:
        httpx.post(f"{url}/v1/documents", files={"file": ("bulk.md", data)}, timeout=120)
    except httpx.TransportError:
        pass  # the server was killed mid-request, as intended
