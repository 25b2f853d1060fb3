#!/usr/bin/env bash
# Brings each project's PublicAPI.Unshipped.txt in line with its public surface: adds what the
# PublicApiAnalyzers report as undeclared (RS0016) and drops what they report as gone (RS0017).
# Run after an intended API change, review the diff, commit it.
# usage: build/update-public-api.sh [src/Manager]
set -euo pipefail
cd "$(dirname "$0")/.."
for p in ${@:-src/Manager}; do
  out=$(dotnet build "$p" --no-incremental 2>&1 || true)
  added=$(printf '%s\n' "$out" | grep "$p/" | grep -oP "RS0016: Symbol '\K[^']+(?=' is not part)" | sort -u || true)
  gone=$(printf '%s\n' "$out" | grep "$p/" | grep -oP "RS0017: Symbol '\K[^']+(?=' is part of the declared)" | sort -u || true)
  file="$p/PublicAPI.Unshipped.txt"
  body=$(tail -n +2 "$file")
  if [ -n "$gone" ]; then body=$(printf '%s\n' "$body" | grep -vxF -f <(printf '%s\n' "$gone") || true); fi
  { head -n1 "$file"; printf '%s\n%s\n' "$body" "$added" | grep -v '^$' | sort -u; } > "$file.tmp" && mv "$file.tmp" "$file"
  echo "$p: +$(printf '%s' "$added" | grep -c . || true) -$(printf '%s' "$gone" | grep -c . || true)"
done
