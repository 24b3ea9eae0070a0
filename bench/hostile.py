"""Hostile input against a running service on 127.0.0.1: does one request stall the others?

    python -m bench.hostile                          # a server started here on ./data/index
    python -m bench.hostile --seconds 60 --out bench/hostile.md

Four measurements, each against a baseline taken in the same run (the machine is shared):
1. one ``/v1/ask`` whose patient field is 20,000 digits: its time to an answer or a 4xx (median of 5);
2. ``/healthz`` latency while 4 such requests run back to back, against idle;
3. 16 clients on ``/v1/ask`` over the gold questions for ``--seconds``, then the same with one of the
   16 sending only adversarial requests: the other 15's errors and p99 against the run without it;
4. ``/v1/chat/completions`` with 200 messages that repeat a condition word: the status, and the
   server's resident memory before and after.
Exit status 1 when a bar is missed (the bars are the issue's: < 1 s, p99 < 100 ms, 0 errors and
p99 within 1.5x, a 4xx with < 50 MB growth); the figures are the point, not the exit status.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

from bench.load import ROOT, Tally, client_loop, percentile, questions, start_server

DIGITS = "0" * 20_000
QUESTION = "Is IVIG 1 g/kg every 3 weeks medically necessary for refractory myasthenia gravis?"


def one_adversarial(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    r = httpx.post(f"{url}/v1/ask", json={"question": QUESTION, "patient": DIGITS}, timeout=120)
    return time.perf_counter() - started, r.status_code


def adversary(url: str, until: float, statuses: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        while time.perf_counter() < until:
            try:
                statuses.append(http.post("/v1/ask", json={"question": QUESTION, "patient": DIGITS}).status_code)
            except httpx.HTTPError:
                statuses.append(0)


def healthz_latencies(url: str, seconds: float) -> list[float]:
    out = []
    until = time.perf_counter() + seconds
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.perf_counter() < until:
            started = time.perf_counter()
            http.get("/healthz")
            out.append(time.perf_counter() - started)
            time.sleep(0.02)
    return sorted(out)


def ms(values: list[float], p: float) -> float:
    return round(percentile(values, p) * 1000, 1)


def load(url: str, items: list[dict], clients: int, seconds: float, adversarial: bool) -> dict:
    tally, statuses = Tally(), []
    until = time.perf_counter() + seconds
    normal = clients - 1 if adversarial else clients
    threads = [threading.Thread(target=client_loop, args=(url, {}, items, n * 7, until, tally)) for n in range(normal)]
    if adversarial:
        threads.append(threading.Thread(target=adversary, args=(url, until, statuses)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat = sorted(tally.latencies)
    return {"clients": normal, "ok": len(lat), "errors": dict(tally.errors), "p50_ms": ms(lat, 50),
            "p99_ms": ms(lat, 99), "adversarial_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}}


def completions_flood(url: str, pid: int) -> dict:
    messages = [{"role": "user", "content": "what about MG " * 100} for _ in range(200)]
    server = psutil.Process(pid)
    before = server.memory_info().rss
    r = httpx.post(f"{url}/v1/chat/completions", json={"model": "criterion", "messages": messages}, timeout=120)
    after = server.memory_info().rss
    try:
        message = r.json().get("error", {}).get("message", "")
    except ValueError:
        message = r.text[:200]
    return {"status": r.status_code, "message": message[:160], "rss_growth_mb": round((after - before) / 2**20, 1)}


def measure(url: str, pid: int, items: list[dict], seconds: float) -> dict:
    with httpx.Client(base_url=url, timeout=60) as http:  # warm-up, not counted
        for body in items[:8]:
            http.post("/v1/ask", json=body)
    single = [one_adversarial(url) for _ in range(5)]
    idle = healthz_latencies(url, 5)
    until = time.perf_counter() + 15
    statuses: list[int] = []
    attackers = [threading.Thread(target=adversary, args=(url, until, statuses)) for _ in range(4)]
    for t in attackers:
        t.start()
    busy = healthz_latencies(url, 14)
    for t in attackers:
        t.join()
    without = load(url, items, 16, seconds, adversarial=False)
    with_one = load(url, items, 16, seconds, adversarial=True)
    return {
        "adversarial_request": {"median_s": round(statistics.median(s for s, _ in single), 3),
                                "statuses": sorted({c for _, c in single})},
        "healthz_idle": {"p50_ms": ms(idle, 50), "p99_ms": ms(idle, 99), "n": len(idle)},
        "healthz_under_4_adversarial": {"p50_ms": ms(busy, 50), "p99_ms": ms(busy, 99), "n": len(busy),
                                        "adversarial_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}},
        "load_16_clients": without,
        "load_15_clients_plus_1_adversarial": with_one,
        "p99_ratio": round(with_one["p99_ms"] / without["p99_ms"], 2) if without["p99_ms"] else None,
        "completions_200_messages": completions_flood(url, pid),
        "seconds_per_load_run": seconds,
    }


def verdicts(r: dict) -> dict[str, bool]:
    flood = r["completions_200_messages"]
    with_one = r["load_15_clients_plus_1_adversarial"]
    return {
        "20,000-digit patient answered or rejected in < 1 s": r["adversarial_request"]["median_s"] < 1.0,
        "/healthz p99 < 100 ms under 4 adversarial requests": r["healthz_under_4_adversarial"]["p99_ms"] < 100,
        "0 errors for the other clients": not with_one["errors"],
        "their p99 within 1.5x of the run without the adversary": (r["p99_ratio"] or 99) <= 1.5,
        "200-message completions: a 4xx, memory growth < 50 MB": 400 <= flood["status"] < 500 and flood["rss_growth_mb"] < 50,
    }


def markdown(r: dict) -> str:
    a, idle, busy = r["adversarial_request"], r["healthz_idle"], r["healthz_under_4_adversarial"]
    w, w1, flood = r["load_16_clients"], r["load_15_clients_plus_1_adversarial"], r["completions_200_messages"]
    lines = [
        "# Hostile input", "",
        f"`python -m bench.hostile --seconds {r['seconds_per_load_run']:g}`; {r['machine']}.", "",
        "| measurement | figure | bar | met |", "|---|---|---|---|",
    ]
    met = verdicts(r)
    rows = [
        (f"`/v1/ask`, patient of 20,000 digits: median of 5 (status {', '.join(map(str, a['statuses']))})",
         f"{a['median_s']} s", "< 1 s"),
        (f"`/healthz` p99 while 4 such requests run (idle p99 {idle['p99_ms']} ms; n = {busy['n']})",
         f"{busy['p99_ms']} ms", "< 100 ms"),
        (f"errors of the 15 other clients (16 clients, {r['seconds_per_load_run']:g} s, one adversarial)",
         f"{sum(w1['errors'].values())}", "0"),
        (f"their p99 against 16 ordinary clients ({w1['p99_ms']} ms vs {w['p99_ms']} ms)", f"{r['p99_ratio']}x", "≤ 1.5x"),
        (f"`/v1/chat/completions`, 200 messages repeating 'MG' (status {flood['status']}: {flood['message']})",
         f"{flood['rss_growth_mb']} MB", "4xx, < 50 MB"),
    ]
    for (what, figure, bar), ok in zip(rows, met.values()):
        lines.append(f"| {what} | {figure} | {bar} | {'yes' if ok else '**no**'} |")
    lines += ["", f"Throughput: {w['ok']} answers without the adversary, {w1['ok']} with it (15 clients); "
              f"adversarial requests answered: {w1['adversarial_statuses']}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import os
    import platform

    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "index")
    parser.add_argument("--cases", type=Path, default=ROOT / "evals" / "cases")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each of the two load runs")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    server, url = start_server(args.index.resolve())
    try:
        result = measure(url, server.pid, questions(args.cases), args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(markdown(result))
        print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all(verdicts(result).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
