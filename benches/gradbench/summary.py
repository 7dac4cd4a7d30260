"""Summarises GradBench logs of this tool against the `manual` reference.

Usage: python3 summary.py RUNS_DIR EVAL...

Reads RUNS_DIR/EVAL-autodiff.jsonl and RUNS_DIR/EVAL-manual.jsonl and prints, per eval and per
function, how many workloads were valid and the geometric mean over workloads of our median
time / manual's median time.
"""

import json
import math
import statistics
import sys


def read(path):
    """{(function, description): (median ns, valid)} from one log."""
    messages, results = {}, {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    for line in lines:
        entry = json.loads(line)
        if "message" in entry:
            m = entry["message"]
            messages[m["id"]] = m
            if m.get("kind") == "analysis":
                key = results.get(m["of"])
                if key is not None:
                    results[m["of"]] = key[:2] + (m.get("valid", False),)
        elif "response" in entry:
            r = entry["response"]
            m = messages.get(r.get("id"), {})
            if m.get("kind") == "evaluate":
                times = [t["nanoseconds"] for t in r.get("timings", []) if t["name"] == "evaluate"]
                key = (m["function"], m.get("description", str(m["id"])))
                median = statistics.median(times) if r.get("success") and times else None
                results[r["id"]] = (key, median, False)
    return {key: (median, valid) for key, median, valid in results.values()}


def main():
    runs, evals = sys.argv[1], sys.argv[2:]
    for eval_name in evals:
        ours = read(f"{runs}/{eval_name}-autodiff.jsonl")
        manual = read(f"{runs}/{eval_name}-manual.jsonl") or {}
        print(f"## {eval_name}")
        if ours is None:
            print("no log of this tool\n")
            continue
        print("| function | valid | ours / manual (geometric mean) | workloads compared |")
        print("|---|---|---|---|")
        for function in sorted({f for f, _ in ours}):
            keys = [k for k in ours if k[0] == function]
            valid = sum(1 for k in keys if ours[k][1])
            ratios = [
                ours[k][0] / manual[k][0]
                for k in keys
                if ours[k][0] and k in manual and manual[k][0] and ours[k][1]
            ]
            ratio = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else float("nan")
            print(f"| {function} | {valid}/{len(keys)} | {ratio:.2f} | {len(ratios)} |")
        print()


if __name__ == "__main__":
    main()
