"""Load test of the service on 127.0.0.1: concurrent clients POST /v1/ask over the gold questions
for a fixed time, then throughput, latency percentiles and errors are reported.

    python -m bench.load                       # 16 clients, 60 s, a server started here on ./data/index
    python -m bench.load --url http://127.0.0.1:8000 --key KEY   # against a running server
    python -m bench.load --clients 4 --seconds 10 --out bench/load.md

Without ``--url`` it starts ``criterion serve`` on a free loopback port (auth off, the rate limit
raised so the limiter is not what is measured) over ``--index`` (default ./data/index), indexing
``corpus/`` there first when it holds no index — the same index ``make run`` builds. Exit status 1
if any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float, verdict: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def questions(cases: Path) -> list[dict]:
    from evals.cases import load_cases

    return [{"question": c.question, "patient": c.patient} for c in load_cases(cases)]


def client_loop(url: str, headers: dict, items: list[dict], offset: int, until: float, tally: Tally) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        i = offset
        while time.perf_counter() < until:
            body = items[i % len(items)]
            i += 1
            started = time.perf_counter()
            try:
                r = http.post("/v1/ask", json=body)
            except httpx.HTTPError as exc:
                tally.error(type(exc).__name__)
                continue
            if r.status_code == 200:
                tally.ok(time.perf_counter() - started, r.json()["verdict"])
            else:
                tally.error(f"HTTP {r.status_code}")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def run(url: str, headers: dict, items: list[dict], clients: int, seconds: float) -> dict:
    tally = Tally()
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:  # warm-up: one of each, not counted
        for body in items[: min(len(items), 8)]:
            http.post("/v1/ask", json=body)
    started = time.perf_counter()
    until = started + seconds
    threads = [threading.Thread(target=client_loop, args=(url, headers, items, n * 7, until, tally))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = sorted(tally.latencies)
    return {
        "clients": clients, "seconds": round(elapsed, 1), "questions": len(items),
        "requests": len(lat) + sum(tally.errors.values()), "ok": len(lat), "errors": tally.errors,
        "throughput_rps": round(len(lat) / elapsed, 2),
        "latency_ms": {name: round(percentile(lat, p) * 1000, 1) for name, p in
                       (("p50", 50), ("p95", 95), ("p99", 99))} | {
                           "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
                           "max": round(lat[-1] * 1000, 1) if lat else None},
        "verdicts": dict(sorted(tally.verdicts.items())),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "CRITERION_API__AUTH": "off", "CRITERION_API__RATE_LIMIT_PER_MINUTE": "10000000",
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    criterion = [sys.executable, "-m", "app.cli"]
    if not (index / "CURRENT").exists():
        print(f"indexing corpus/ into {index} …", file=sys.stderr)
        subprocess.run([*criterion, "ingest", "corpus", "--index", str(index)], cwd=ROOT, env=env, check=True)
    port = free_port()
    proc = subprocess.Popen([*criterion, "serve", "--port", str(port), "--index", str(index)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url, seconds=300)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    return proc, url


def wait_ready(proc: subprocess.Popen, url: str, seconds: float) -> None:
    """Poll ``url``/readyz until it answers 200. RuntimeError when the server process exits first
    or ``seconds`` pass (the process is then killed)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server did not become ready in {seconds:g} s")


def markdown(result: dict, url: str) -> str:
    lat = result["latency_ms"]
    return "\n".join([
        "# Service load test", "",
        f"`python -m bench.load` — {result['clients']} concurrent clients for {result['seconds']} s, `POST /v1/ask` "
        f"over the {result['questions']} gold questions (with their patient context) on {url}; {result['machine']}.", "",
        "| requests | ok | errors | throughput (req/s) | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {result['requests']} | {result['ok']} | {sum(result['errors'].values())} | {result['throughput_rps']} | "
        f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} |", "",
        f"Verdicts: {', '.join(f'{k} {v}' for k, v in result['verdicts'].items())}."
        + (f" Errors: {result['errors']}." if result["errors"] else ""), ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one on 127.0.0.1)")
    parser.add_argument("--key", default=os.environ.get("CRITERION_KEY"), help="bearer key for --url (or $CRITERION_KEY)")
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "index", help="index for the server started here")
    parser.add_argument("--cases", type=Path, default=ROOT / "evals" / "cases")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, help="also write the report as Markdown here")
    args = parser.parse_args(argv)

    items = questions(args.cases)
    server = None
    url = args.url
    if url is None:
        server, url = start_server(args.index.resolve())
    try:
        headers = {"Authorization": f"Bearer {args.key}"} if args.key else {}
        result = run(url, headers, items, args.clients, args.seconds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(markdown(result, url))
        print(f"wrote {args.out}", file=sys.stderr)
    return 1 if result["errors"] or not result["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
