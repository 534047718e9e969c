#!/usr/bin/env bash
# bench/run.sh: runs the gatehouse benchmarks (bench_decide, bench_ingest, bench_import,
# bench_audit, bench_rules, bench_http.sh, bench_sse, bench_alarm, bench_edge.py,
# bench_console.mjs) from the build dir and prints one "bench: NAME VALUE UNIT baseline ... ratio ... target ..." line
# per figure on stdout, after a description of the machine ("# " lines). Progress and
# diagnostics go to stderr. bench_decide is pinned to one core with taskset when available.
# Exits non-zero if a benchmark fails to run (not if a target is missed).
# Usage: bench/run.sh [BUILD_DIR]   (default: build)
set -uo pipefail

build=${1:-build}
if [[ ! -d $build ]]; then
    echo "bench/run.sh: no build dir '$build' (run 'make build' first)" >&2
    exit 2
fi
cd "$build" || exit 2

# The machine: results mean little without it.
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
mem=$(free -h 2>/dev/null | awk '/^Mem:/ {print $2 " total, " $7 " available"}')
echo "# machine: $(nproc) cores, ${cpu:-unknown CPU}, memory ${mem:-unknown}"
echo "# kernel: $(uname -sr), load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ), sqlite3 shell: $(${GH_BENCH_SQLITE3:-/usr/bin/sqlite3} --version 2>/dev/null | cut -d' ' -f1)"

pin=()
if command -v taskset >/dev/null 2>&1 && [[ $(nproc) -ge 2 ]]; then
    # the last core: the first one usually takes more interrupts
    pin=(taskset -c "$(($(nproc) - 1))")
fi

failed=()
run() {
    local name=$1
    shift
    if [[ ! -x ./$name ]]; then
        echo "bench/run.sh: ./$name is not built" >&2
        failed+=("$name")
        return
    fi
    echo "bench/run.sh: running $name" >&2
    local start=$SECONDS
    if ! "$@" "./$name"; then
        echo "bench/run.sh: $name FAILED" >&2
        failed+=("$name")
    fi
    echo "bench/run.sh: $name took $((SECONDS - start)) s" >&2
}

run bench_decide "${pin[@]}"
run bench_ingest
run bench_import
run bench_audit
run bench_rules "${pin[@]}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ln -sf "$here/bench_http.sh" ./bench_http.sh
run bench_http.sh bash
run bench_sse
run bench_alarm
ln -sf "$here/bench_edge.py" ./bench_edge.py
run bench_edge.py /usr/bin/python3
# the console in chromium (playwright-core from tests/e2e, installed by `make bench`)
ln -sf "$here/bench_console.mjs" ./bench_console.mjs
export GATEHOUSE_BIN=$PWD/gatehouse
run bench_console.mjs node

if ((${#failed[@]} > 0)); then
    echo "bench/run.sh: failed to run: ${failed[*]}" >&2
    exit 1
fi
exit 0
