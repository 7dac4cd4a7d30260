#!/usr/bin/env bash
# Runs GradBench's evals against this tool and against GradBench's hand-written C++ reference
# (`manual`), then prints a table per eval: workloads valid, and our time / manual's time.
#
# Usage: benches/gradbench/run.sh GRADBENCH_CHECKOUT [EVAL...]     (default: every eval we have)
#
# GRADBENCH_CHECKOUT is a GradBench source tree (e.g. `git archive` of github.com/gradbench/
# gradbench). This script installs what it needs there, without Docker: a Python venv with the
# eval package, Debian's nlohmann-json3-dev for the C++ reference, the reference itself and the
# `gradbench` runner. Logs go to $RUNS (default: GRADBENCH_CHECKOUT/runs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
gb=$(cd "${1:?usage: run.sh GRADBENCH_CHECKOUT [EVAL...]}" && pwd)
shift
evals=("$@")
[ ${#evals[@]} -gt 0 ] || evals=(llsq lse det gmm ba ode lstm ht kmeans)
runs=${RUNS:-$gb/runs}
mkdir -p "$runs"

venv=$gb/.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy==1.26.4 pydantic==2.10.5 dataclasses-json==0.6.7 scipy==1.15.1
    "$venv/bin/pip" install -q --no-deps -e "$gb/python/gradbench"
fi
if [ ! -f "$gb/cpp/json.hpp" ]; then
    [ -f /usr/include/nlohmann/json.hpp ] || apt-get install -y -q nlohmann-json3-dev
    cp /usr/include/nlohmann/json.hpp "$gb/cpp/json.hpp"
fi
make -s -C "$gb/tools/manual" -j2
(cd "$gb" && cargo build -q --release --package=gradbench)
# For the host's vector instructions, as the reference is built (`-march=native`); in a target
# folder of its own so the workspace's usual build is left alone.
root=$(cd "$here/../.." && pwd)
(cd "$here" && RUSTFLAGS="-C target-cpu=native" cargo build -q --release \
    --package=autodiff-gradbench --target-dir "$root/target/native")
tool=$root/target/native/release/autodiff-gradbench

export PATH=$venv/bin:$PATH
cd "$gb"
for e in "${evals[@]}"; do
    args=()
    [ "$e" = ht ] && args=(--max 11)
    eval_cmd="python python/gradbench/gradbench/evals/$e/run.py ${args[*]}"
    ./target/release/gradbench run --eval "$eval_cmd" --tool "$tool" \
        -o "$runs/$e-autodiff.jsonl" >"$runs/$e-autodiff.txt" 2>&1 || true
    # The reference does not change between runs of ours: kept unless REFRESH_MANUAL is set.
    if [ -n "${REFRESH_MANUAL:-}" ] || [ ! -s "$runs/$e-manual.jsonl" ]; then
        ./target/release/gradbench run --eval "$eval_cmd" \
            --tool "python python/gradbench/gradbench/cpp.py manual" \
            -o "$runs/$e-manual.jsonl" >"$runs/$e-manual.txt" 2>&1 || true
    fi
done
python "$here/summary.py" "$runs" "${evals[@]}"
