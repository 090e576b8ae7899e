"""Benchmark of the rules engine (not a test): how long validating and evaluating take.

    python bench/engine.py [--runs N]

Builds scenarios of 1 000 and 10 000 cost lines (a realistic mix of categories, HT and TTC lines,
explicit VAT rates, months spread over three years), serialises them to JSON, and times:

- validating: ``load_scenario(json_text)`` (JSON parsing + pydantic validation);
- evaluating: ``evaluate(scenario)`` (every figure, check, explanation and the monthly schedule);
- both together, as the CLI and the app do them.

It prints the median, min and max over repeated runs, and the machine it ran on.
Goal of issue 2: 1 000 lines validated + evaluated in under 20 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from guichet.engine.evaluate import evaluate  # noqa: E402
from guichet.io.loading import load_scenario  # noqa: E402

GOAL_MS = 20.0
CATEGORIES = ["external_services", "internal_staff", "training", "hardware", "software",
              "cloud_resources", "functional_changes", "other"]
# weights: mostly external services and staff, as in real projects
MIX = ["external_services"] * 4 + ["internal_staff"] * 2 + CATEGORIES


def scenario_data(n_lines: int) -> dict:
    """A scenario of ``n_lines`` cost lines (deterministic: same input at every run)."""
    lines = []
    for i in range(n_lines):
        category = MIX[i % len(MIX)]
        start = 1 + (i * 7) % 30
        line = {
            "label": f"Ligne {i + 1} — {category}",
            "category": category,
            "amount": f"{100 + (i * 7919) % 2900}.{i % 100:02d}",
            "basis": "ht" if i % 3 else "ttc",
            "start_month": start,
            "end_month": start + (i % 7),
        }
        if i % 11 == 0:
            line["vat_rate"] = "0.055"
        lines.append(line)
    return {
        "schema_version": 1,
        "name": f"Banc d’essai : {n_lines} lignes",
        "applicant": {"name": "Ministère (banc d’essai)", "kind": "state_administration"},
        "migration": {"origin": "physical", "target": "pi",
                      "applications": [f"Application {k}" for k in range(20)]},
        "extension": {"clouds": ["pi", "nubo"], "services": ["KMS", "BDDaaS"],
                      "third_party_commitments": 2},
        "start_date": "2027-01-04",
        "cost_lines": lines,
        "milestones": [{"label": f"Jalon {m}", "month": m, "impact": m % 2 == 0}
                       for m in range(3, 36, 3)],
        "requested_rate": "0.45",
        "indicators": {
            "annual_savings_ttc": "120000.00", "agents_trained": 40,
            "impact": [{"name": "RTO", "unit": "heures", "baseline": "48", "target": "4",
                        "month": 12}],
        },
    }


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU durations of ``runs`` calls of ``fn``, in milliseconds (after one
    warm-up call). The CPU time of this process is less disturbed by other programs running on
    the machine; the wall-clock time is what a user waits."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()  # no garbage of the previous run collected inside this one
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.lower().startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "inconnu"


def machine() -> str:
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return (f"CPU : {cpu_model()} — {cores} cœur(s) logique(s), {usable} utilisable(s)\n"
            f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.release()}")


def fmt(durations: tuple[list[float], list[float]]) -> str:
    wall, cpu = durations
    return (f"médiane {statistics.median(wall):7.2f} ms   min {min(wall):7.2f} ms   "
            f"max {max(wall):7.2f} ms   (CPU : médiane {statistics.median(cpu):7.2f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=0,
                        help="runs per measure (default: 50 for 1 000 lines, 10 for 10 000)")
    args = parser.parse_args(argv)

    print("Banc d’essai du moteur de règles (bench/engine.py)")
    print(machine())
    print()
    results = {}
    for n_lines, default_runs in ((1_000, 50), (10_000, 10)):
        runs = args.runs or default_runs
        text = json.dumps(scenario_data(n_lines), ensure_ascii=False)
        scenario = load_scenario(text)
        evaluation = evaluate(scenario)  # sanity: it evaluates, and the figures are stable
        validate = timed(lambda text=text: load_scenario(text), runs)
        evaluate_ = timed(lambda scenario=scenario: evaluate(scenario), runs)
        both = timed(lambda text=text: evaluate(load_scenario(text)), runs)
        results[n_lines] = both
        print(f"{n_lines:>6} lignes ({len(text.encode()) / 1e6:.2f} Mo de JSON, {runs} mesures ; "
              f"total {evaluation.total_cost_ttc} € TTC, statut {evaluation.status})")
        print(f"  valider  (load_scenario)  {fmt(validate)}")
        print(f"  évaluer  (evaluate)       {fmt(evaluate_)}")
        print(f"  les deux                  {fmt(both)}")
        print()
    median_1k = statistics.median(results[1_000][0])
    verdict = "atteint" if median_1k < GOAL_MS else "NON atteint"
    print(f"Objectif : 1 000 lignes validées + évaluées en moins de {GOAL_MS:.0f} ms — {verdict} "
          f"(médiane {median_1k:.2f} ms).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
