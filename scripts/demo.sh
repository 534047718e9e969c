#!/usr/bin/env bash
# make demo: a throw-away data dir, a simulated campus and a working day of badge traffic,
# then the server fed by the simulator until Ctrl-C.
# Usage: scripts/demo.sh path/to/gatehouse
set -euo pipefail
bin=${1:-build/gatehouse}
dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-demo.XXXXXX")
echo "gatehouse demo: data dir $dir (throw-away; delete it when done)"
"$bin" --data "$dir" demo
