#!/usr/bin/env bash
# Reads the console output of `dotnet test` (a file, or standard input) and prints one closing line,
# "N passed, N failed", summed over every test assembly.
#   - Each finished assembly prints "Passed!  - Failed: F, Passed: P, ..." (or "Failed!  - ...").
#   - A test host killed by the blame hang timeout (or crashed) prints "Test Run Aborted." and then
#     "The test running when the crash occurred:" followed by the test's name, one per line. Each test
#     named there is counted as failed; an abort that names none counts as one failure, so a killed
#     host can never read as a clean run.
#   - With a second argument N (the test assemblies the run must have, as .ci/run passes), each assembly
#     missing from the output (one that did not build) counts as one failure.
set -uo pipefail
log=${1:--}
expected=${2:-0}
awk -v expected="$expected" '
  /^(Passed|Failed)!/ {
    assemblies++
    if (match($0, /Passed: +[0-9]+/)) { s = substr($0, RSTART, RLENGTH); sub(/Passed: +/, "", s); passed += s }
    if (match($0, /Failed: +[0-9]+/)) { s = substr($0, RSTART, RLENGTH); sub(/Failed: +/, "", s); failed += s }
  }
  /^Test Run Aborted\./ { aborts++ }
  naming && /^[[:space:]]*$/ { naming = 0 }
  naming { named++; next }
  /^The test running when the crash occurred:/ { naming = 1 }
  END {
    hung = named > aborts ? named : aborts
    missing = expected > assemblies ? expected - assemblies : 0
    printf "%d passed, %d failed\n", passed, failed + hung + missing
  }
' "$log"
