"""Runbook matching quality on the labelled set in tests/data/runbook_eval.jsonl.

Imports the seed runbooks into a fresh SQLite database, matches every alert and prints top-1,
hit@3 (covered alerts) and the abstain rate (alerts no runbook covers), per difficulty, then a
threshold sweep and the batch CLI's time for 1,000 alerts.

Run: .venv/bin/python bench/runbook_match.py [--seeds DIR] [--data FILE] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import SystemClock
from warroom.config import load_settings
from warroom.db import make_engine, make_session_factory, transaction
from warroom.migrate import upgrade
from warroom.runbooks.library import import_runbook
from warroom.runbooks.matcher import AlertQuery, Match, Matcher
from warroom.runbooks.suggest import build_matcher

ROOT = Path(__file__).resolve().parents[1]


def load_cases(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def is_hit(match: Match, expected: list[dict]) -> bool:  # type: ignore[type-arg]
    return any(match.file == e["file"] and match.line == e["line"] for e in expected)


def evaluate(
    matcher: Matcher, cases: list[dict], show_misses: bool = False
) -> dict[str, dict[str, float]]:  # type: ignore[type-arg]
    tallies: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for case in cases:
        ranked = matcher.match(AlertQuery.from_json(case["alert"]), limit=5)
        groups = {case["difficulty"], "covered" if case["expected"] else "none", "all"}
        for group in groups:
            tally = tallies[group]
            tally["n"] += 1
            if case["expected"]:
                tally["top1"] += bool(ranked) and is_hit(ranked[0], case["expected"])
                tally["hit3"] += any(is_hit(m, case["expected"]) for m in ranked[:3])
            else:
                tally["abstain"] += not ranked
        if show_misses and (
            (case["expected"] and not (ranked and is_hit(ranked[0], case["expected"])))
            or (not case["expected"] and ranked)
        ):
            got = (
                "\n         ".join(
                    f"{'*' if is_hit(m, case['expected']) else ' '} {m.file[:3]} {m.heading} "
                    f"{m.score} {m.reason}"
                    for m in ranked[:3]
                )
                if ranked
                else "(abstained)"
            )
            want = (
                "; ".join(f"{e['file'][:3]} {e['heading']}" for e in case["expected"]) or "(none)"
            )
            print(
                f"MISS {case['id']:<10} {case['alert']['title'][:60]!r}\n"
                f"     got {got}\n     want {want}"
            )
    return tallies


def report(tallies: dict[str, dict[str, float]]) -> None:
    print(f"{'group':<10}{'alerts':>8}{'top-1':>9}{'hit@3':>9}{'abstain':>9}")
    for group in ("easy", "medium", "hard", "covered", "none", "all"):
        t = tallies.get(group)
        if not t:
            continue
        covered = t["n"] - (tallies["none"]["n"] if group in ("none", "all") else 0)
        top1 = f"{100 * t['top1'] / covered:.1f}%" if covered else "-"
        hit3 = f"{100 * t['hit3'] / covered:.1f}%" if covered else "-"
        none = t["n"] - covered
        abstain = f"{100 * t['abstain'] / none:.1f}%" if none else "-"
        print(f"{group:<10}{int(t['n']):>8}{top1:>9}{hit3:>9}{abstain:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "runbook_eval.jsonl")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    if not args.seeds.is_dir():
        print(f"runbook matching skipped: no seed runbooks at {args.seeds} (pass --seeds DIR)")
        return
    cases = load_cases(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/runbooks.db"
        engine = make_engine(load_settings(database_url=url))
        upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            for path in sorted(args.seeds.iterdir()):
                change = Change(actor=SYSTEM, clock=SystemClock())
                import_runbook(session, change=change, source=path.name, raw=path.read_bytes())
            matcher = build_matcher(session)
        if args.threshold is not None:
            matcher.threshold = args.threshold
        print(
            f"{args.data.name}: {len(cases)} labelled alerts, "
            f"{len(matcher.candidates)} runbook entries, threshold {matcher.threshold}"
        )
        report(evaluate(matcher, cases, args.show_misses))

        print("\nthreshold sweep (top-1 / hit@3 on covered, abstain on none):")
        for threshold in (0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.32, 0.34, 0.36, 0.4):
            matcher.threshold = threshold
            t = evaluate(matcher, cases)
            c, n = t["covered"], t["none"]
            print(
                f"  {threshold:.2f}: top-1 {100 * c['top1'] / c['n']:.1f}%  "
                f"hit@3 {100 * c['hit3'] / c['n']:.1f}%  "
                f"abstain {100 * n['abstain'] / n['n']:.1f}%"
            )

        batch = Path(tmp) / "batch.jsonl"
        lines = [
            json.dumps({"id": f"{i}", "alert": cases[i % len(cases)]["alert"]}) for i in range(1000)
        ]
        batch.write_text("\n".join(lines))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "warroom", "runbooks", "match", "--batch", str(batch)],
            env={**os.environ, "WARROOM_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
        print(
            f"\nbatch CLI: {len(result.stdout.splitlines())} lines for 1,000 alerts in "
            f"{elapsed:.2f}s (process start included)"
        )


if __name__ == "__main__":
    main()
