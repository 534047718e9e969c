#!/usr/bin/env bash
# Builds the operator console (web/, TypeScript + Preact + Vite) into OUTDIR and embeds it
# as the C source OUT_C. Installs web/node_modules from the committed lock file first when
# they are missing or older than it (npm registry only). Called by CMake.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"
outdir="$1"
out_c="$2"
cmake_bin="${3:-cmake}"
stamp="$web/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$web/package-lock.json" -nt "$stamp" ]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$web" && npx --no-install tsc --noEmit -p . && npx --no-install vite build --logLevel warn \
  --outDir "$outdir" --emptyOutDir)
"$cmake_bin" -DDIR="$outdir" -DOUT="$out_c" -P "$web/../cmake/embed_console.cmake"
