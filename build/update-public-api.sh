#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt. Run after an intended API change, review the diff, commit it.
# usage: build/update-public-api.sh [src/Manager src/Spec]
set -euo pipefail
cd "$(dirname "$0")/.."
for project in "${@:-src/Manager src/Spec}"; do
  for p in $project; do
    symbols=$(dotnet build "$p" --no-incremental 2>&1 | grep "$p/" | grep -oP "RS0016: Symbol '\K[^']+(?=' is not part)" | sort -u || true)
    if [ -n "$symbols" ]; then
      printf '%s\n' "$symbols" >> "$p/PublicAPI.Unshipped.txt"
      { head -n1 "$p/PublicAPI.Unshipped.txt"; tail -n +2 "$p/PublicAPI.Unshipped.txt" | sort -u; } > "$p/PublicAPI.tmp" && mv "$p/PublicAPI.tmp" "$p/PublicAPI.Unshipped.txt"
      echo "$p: $(printf '%s\n' "$symbols" | wc -l) symbol(s) added"
    fi
  done
done
