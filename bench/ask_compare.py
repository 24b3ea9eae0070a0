"""Warm `ask` latency of the working tree against another commit, in one run, interleaved.

Usage: python -m bench.ask_compare --base REV --index DIR [--cases evals/cases] [--rounds 5]
                                   [--out bench/ask-compare.md] [--interleave round|case]

REV is checked out with `git worktree add --detach` into a temporary folder (an existing clean
worktree of that commit at the same place is reused and left alone) and removed at the end. Two
long-lived workers (`bench/_ask_worker.py`, run by path with cwd and PYTHONPATH set to their tree,
so `import app` is that tree's code) each build the engine once over the same index, answer every
case once to warm up, then answer every case once per "round" command. Rounds go
base/head, head/base, base/head, ... (ABBA), one worker at a time, so load from other work falls
on both alike (`--interleave case` alternates the sides question by question instead, for load
that changes faster than a round lasts). The report gives each side's n, p50, p95 (nearest rank) and mean, the head/base
ratios, the median of the per-round p95 ratios (the robust figure on a noisy machine), and how
many cases got a different verdict from the two sides (0 for a pure refactor).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "_ask_worker.py"
SIDES = ("base", "head")
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
              "ANONYMIZED_TELEMETRY": "False"}
LIMIT = 1.10  # issue #14: warm p95 within 10 % of before


# ---------------------------------------------------------------- pure parts (tested without engines)

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "mean": statistics.fmean(ms)}


def round_order(rounds: int) -> list[tuple[str, str]]:
    """Which side answers first in each round: base/head, head/base, ... (ABBA over consecutive rounds)."""
    return [("base", "head") if r % 2 == 0 else ("head", "base") for r in range(rounds)]


def case_order(rounds: int, cases: int) -> list[list[tuple[str, str]]]:
    """``--interleave case``: per round, which side answers each case first. Consecutive answers
    alternate base/head, head/base, ... (ABBA again, at the grain of one question), and the same
    case starts on the other side in the next round when the case count is odd."""
    return [[("base", "head") if (r * cases + i) % 2 == 0 else ("head", "base") for i in range(cases)]
            for r in range(rounds)]


def ratio(head: float, base: float) -> float | None:
    return head / base if base else None


def compare(base_rounds: list[list[float]], head_rounds: list[list[float]]) -> dict:
    """Per-case ms of each round, both sides -> pooled summaries, head/base ratios, per-round p95 ratios."""
    if len(base_rounds) != len(head_rounds) or not base_rounds:
        raise ValueError("both sides need the same, non-zero number of rounds")
    base = summarize([v for r in base_rounds for v in r])
    head = summarize([v for r in head_rounds for v in r])
    per_round = [ratio(percentile(h, 95), percentile(b, 95)) for b, h in zip(base_rounds, head_rounds)]
    known = [r for r in per_round if r is not None]
    return {"base": base, "head": head,
            "ratio": {key: ratio(head[key], base[key]) for key in ("p50", "p95", "mean")},
            "round_p95_ratios": per_round,
            "median_round_p95_ratio": statistics.median(known) if known else None}


def verdict_diffs(case_ids: list[str], base_rounds: list[list[str]], head_rounds: list[list[str]]) -> list[dict]:
    """Cases whose verdict differs between the sides in any round (same round, same case)."""
    out = []
    for i, case_id in enumerate(case_ids):
        base = [r[i] for r in base_rounds]
        head = [r[i] for r in head_rounds]
        if base != head:
            out.append({"id": case_id, "base": sorted(set(base)), "head": sorted(set(head)),
                        "rounds": sum(b != h for b, h in zip(base, head))})
    return out


def unstable(case_ids: list[str], rounds: list[list[str]]) -> list[str]:
    """Cases one side answered with more than one verdict over the rounds."""
    return [case_id for i, case_id in enumerate(case_ids) if len({r[i] for r in rounds}) > 1]


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _r(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}×"


def render(data: dict) -> str:
    """The Markdown report. ``data`` holds the run description and the per-round ms and verdicts."""
    cmp = compare(data["ms"]["base"], data["ms"]["head"])
    ids = data["case_ids"]
    diffs = verdict_diffs(ids, data["verdicts"]["base"], data["verdicts"]["head"])
    base, head, rt = cmp["base"], cmp["head"], cmp["ratio"]
    m = data["machine"]
    lines = [
        f"# Warm `ask`: working tree vs `{data['base']['rev']}`", "",
        f"`{data['command']}`", "",
        f"- Date: {data['date']}; wall time {data['wall_s']:.0f} s.",
        f"- Base: `{data['base']['rev']}` = `{data['base']['commit']}`, "
        f"worktree {data['base']['tree']} ({data['base']['worktree']}).",
        f"- Head: the working tree {data['head']['tree']} at `{data['head']['commit']}`"
        + (f", with {len(data['head']['changes'])} changed path(s) not committed." if data["head"]["changes"] else ", clean."),
        f"- Machine: {m['cores']} cores ({m['usable_cores']} usable), {m['platform']}, Python {m['python']}; "
        f"load average {' / '.join(f'{x:.2f}' for x in m['load_start'])} at start, "
        f"{' / '.join(f'{x:.2f}' for x in m['load_end'])} at the end.",
        f"- Index: {data['index']}. Cases: {data['cases']} ({len(ids)} cases, the head's files for both sides). "
        f"Rounds: {data['rounds']}, each side answering every case once per round, one side at a time, "
        + ("order base/head then head/base (ABBA)." if data.get("interleave", "round") == "round" else
           "the sides alternating question by question (base/head, head/base, ...; `--interleave case`)."),
        "- Start-up (both sides at once, each in its own process on the same interpreter; not compared): "
        + "; ".join(f"{s} engine built in {data['startup'][s]['build_s']:.1f} s, "
                    f"warm-up pass {data['startup'][s]['warmup_s']:.1f} s" for s in SIDES) + ".",
        "",
        "| side | n | p50 (ms) | p95 (ms) | mean (ms) |",
        "|---|---:|---:|---:|---:|",
        f"| base | {base['n']} | {_f(base['p50'])} | {_f(base['p95'])} | {_f(base['mean'])} |",
        f"| head | {head['n']} | {_f(head['p50'])} | {_f(head['p95'])} | {_f(head['mean'])} |",
        f"| head / base | | {_r(rt['p50'])} | {_r(rt['p95'])} | {_r(rt['mean'])} |",
        "",
        "| round | order | base p95 (ms) | head p95 (ms) | head / base |",
        "|---:|---|---:|---:|---:|",
    ]
    for i, (order, r) in enumerate(zip(round_order(data["rounds"]), cmp["round_p95_ratios"]), start=1):
        order_text = " → ".join(order) if data.get("interleave", "round") == "round" else "alternating by case"
        lines.append(f"| {i} | {order_text} | {_f(percentile(data['ms']['base'][i - 1], 95))} | "
                     f"{_f(percentile(data['ms']['head'][i - 1], 95))} | {_r(r)} |")
    med = cmp["median_round_p95_ratio"]
    lines += [
        "",
        f"Median per-round p95 ratio: **{_r(med)}**; pooled p95 ratio {_r(rt['p95'])}. "
        f"Issue #14 (warm p95 within 10 % of before): "
        f"median per-round {'within' if med is not None and med <= LIMIT else 'NOT within'}, "
        f"pooled {'within' if rt['p95'] is not None and rt['p95'] <= LIMIT else 'NOT within'}.",
        "",
        f"Verdicts: **{len(diffs)}** of {len(ids)} cases differ between base and head "
        f"(same case, same round, over {data['rounds']} rounds).",
    ]
    for d in diffs[:20]:
        lines.append(f"- `{d['id']}`: base {', '.join(d['base'])}; head {', '.join(d['head'])} "
                     f"({d['rounds']} of {data['rounds']} rounds)")
    if len(diffs) > 20:
        lines.append(f"- … and {len(diffs) - 20} more")
    for side in SIDES:
        shaky = unstable(ids, data["verdicts"][side])
        if shaky:
            lines.append(f"- {side} changed its own verdict between rounds on {len(shaky)} case(s): "
                         + ", ".join(f"`{c}`" for c in shaky[:10]))
    errors = {s: sum(v.startswith("error:") for r in data["verdicts"][s] for v in r) for s in SIDES}
    if any(errors.values()):
        lines.append(f"- answers that raised: base {errors['base']}, head {errors['head']}")
    if data["head"]["changes"]:
        shown = data["head"]["changes"][:15]
        lines += ["", "Uncommitted changes in the head tree: " + ", ".join(f"`{c}`" for c in shown)
                  + (f", … ({len(data['head']['changes'])} in all)" if len(data["head"]["changes"]) > len(shown) else "")]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- git

def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def worktree_of(repo: Path, commit: str) -> tuple[Path, bool]:
    """A checkout of ``commit``: an existing clean worktree at the usual place, or a new one.
    Returns (path, created)."""
    usual = Path(tempfile.gettempdir()) / f"criterion-ask-compare-{commit[:12]}"
    listed = {Path(line[len("worktree "):]).resolve()
              for line in git("worktree", "list", "--porcelain", cwd=repo).splitlines() if line.startswith("worktree ")}
    if usual.resolve() in listed:
        try:
            if git("rev-parse", "HEAD", cwd=usual) == commit and not git("status", "--porcelain", cwd=usual):
                return usual, False
        except subprocess.CalledProcessError:
            pass
    path = usual if not usual.exists() else Path(tempfile.mkdtemp(prefix="criterion-ask-compare-")) / "tree"
    git("worktree", "add", "--detach", str(path), commit, cwd=repo)
    return path, True


def remove_worktree(repo: Path, path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=repo, capture_output=True)
    if path.name == "tree" and path.parent.name.startswith("criterion-ask-compare-"):
        try:
            path.parent.rmdir()
        except OSError:
            pass


# ---------------------------------------------------------------- workers

@dataclass
class Worker:
    side: str
    tree: Path
    proc: subprocess.Popen
    log: Path
    buffer: bytes = b""
    hello: dict = field(default_factory=dict)

    @classmethod
    def start(cls, side: str, tree: Path, index: Path, cases: Path, python: str, logdir: Path) -> "Worker":
        env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(tree),
               "CRITERION_DATA_DIR": os.path.abspath(os.environ.get("CRITERION_DATA_DIR", "data"))}
        log = logdir / f"{side}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen([python, "-P", str(WORKER), "--index", str(index), "--cases", str(cases)],
                                    cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        return cls(side, tree, proc, log)

    def _fail(self, why: str) -> RuntimeError:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return RuntimeError(f"{self.side} worker ({self.tree}): {why}\n--- its stderr, last lines ---\n{tail}")

    def read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"no answer within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise self._fail(f"exited (code {self.proc.wait()})")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = json.loads(line)
        if message.get("error") or message.get("ready") is False:
            raise self._fail(message.get("error", "failed"))
        return message

    def send(self, command: str) -> None:
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                if not self.hello:  # still starting (another side failed): nothing to wait for
                    raise OSError
                self.send("quit")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------- run

def _changes(tree: Path) -> list[str]:
    out = subprocess.run(["git", "status", "--porcelain"], cwd=tree, check=True, capture_output=True, text=True).stdout
    return [line[3:] for line in out.splitlines() if line.strip()]


def run(args: argparse.Namespace) -> dict:
    started = time.monotonic()
    here = Path.cwd()
    repo = Path(git("rev-parse", "--show-toplevel", cwd=here))
    base_commit = git("rev-parse", "--verify", f"{args.base}^{{commit}}", cwd=repo)
    head_commit = git("rev-parse", "HEAD", cwd=repo)
    index, cases = args.index.resolve(), args.cases.resolve()
    if not (index / "CURRENT").exists():
        raise SystemExit(f"no committed index at {index} (CURRENT missing)")
    data = {
        "command": "python -m bench.ask_compare " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cores": os.cpu_count(), "platform": f"{platform.system()} {platform.machine()}",
                    "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                    "python": platform.python_version(), "load_start": os.getloadavg()},
        "index": str(index), "cases": str(cases), "rounds": args.rounds, "interleave": args.interleave,
        "head": {"tree": str(repo), "commit": head_commit, "changes": _changes(repo)},
        "ms": {s: [] for s in SIDES}, "verdicts": {s: [] for s in SIDES}, "startup": {},
    }
    tree, created = worktree_of(repo, base_commit)
    data["base"] = {"rev": args.base, "commit": base_commit, "tree": str(tree),
                    "worktree": "created for this run, removed after" if created else "reused, left in place"}
    workers: dict[str, Worker] = {}
    logdir = Path(tempfile.mkdtemp(prefix="criterion-ask-compare-logs-"))
    try:
        for side, where in (("base", tree), ("head", repo)):
            workers[side] = Worker.start(side, where, index, cases, args.python, logdir)
        for side, w in workers.items():  # both build and warm up at once; no timing is taken then
            w.hello = w.read(args.timeout)
            if not Path(w.hello["app"]).is_relative_to(w.tree.resolve()):
                raise RuntimeError(f"{side} worker imported app from {w.hello['app']}, not from {w.tree}")
            data["startup"][side] = {k: w.hello[k] for k in ("build_s", "warmup_s")}
            print(f"{side}: engine {w.hello['build_s']:.1f} s, warm-up {w.hello['warmup_s']:.1f} s "
                  f"({len(w.hello['cases'])} cases, app from {w.hello['app']})", file=sys.stderr)
        if workers["base"].hello["cases"] != workers["head"].hello["cases"]:
            raise RuntimeError("base and head loaded different cases from the same files")
        data["case_ids"] = workers["head"].hello["cases"]
        n = len(data["case_ids"])
        for r, order in enumerate(round_order(args.rounds), start=1):
            if args.interleave == "round":
                for side in order:
                    workers[side].send("round")
                    got = workers[side].read(args.timeout)
                    data["ms"][side].append(got["ms"])
                    data["verdicts"][side].append(got["verdicts"])
            else:
                for side in SIDES:
                    data["ms"][side].append([])
                    data["verdicts"][side].append([])
                for i, pair in enumerate(case_order(args.rounds, n)[r - 1]):
                    for side in pair:
                        workers[side].send(f"ask {i}")
                        got = workers[side].read(args.timeout)
                        data["ms"][side][-1] += got["ms"]
                        data["verdicts"][side][-1] += got["verdicts"]
            b, h = percentile(data["ms"]["base"][-1], 95), percentile(data["ms"]["head"][-1], 95)
            print(f"round {r}/{args.rounds} ({' → '.join(order)}): p95 base {b:.1f} ms, head {h:.1f} ms, "
                  f"head/base {h / b:.3f}", file=sys.stderr)
    finally:
        for w in workers.values():
            w.stop()
        if created and not args.keep_worktree:
            remove_worktree(repo, tree)
        shutil.rmtree(logdir, ignore_errors=True)
    data["machine"]["load_end"] = os.getloadavg()
    data["wall_s"] = time.monotonic() - started
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="commit to compare the working tree against (e.g. HEAD, HEAD~1)")
    parser.add_argument("--index", type=Path, required=True, help="index directory both sides read")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases"), help="gold cases (file or folder)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds; each side answers every case once per round")
    parser.add_argument("--out", type=Path, default=Path("bench/ask-compare.md"), help="Markdown report")
    parser.add_argument("--interleave", choices=("round", "case"), default="round",
                        help="'round': each side answers all cases in turn (ABBA over rounds); 'case': the sides "
                             "alternate question by question (ABBA over answers), which follows faster load changes")
    parser.add_argument("--python", default=sys.executable, help="interpreter for both workers (default: this one)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for a worker's start-up or one round")
    parser.add_argument("--keep-worktree", action="store_true", help="leave the base worktree in place")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the worktree and the workers are cleaned up
    text = render(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
