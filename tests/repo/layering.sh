#!/usr/bin/env bash
# The layering of src/ (docs/architecture.md): lower floors never include higher ones, and the
# folders' include graph has no cycle. Usage: layering.sh SOURCE_DIR
set -u
cd "$1/src" || exit 1
fail=0
# Folders that know nothing of the HTTP server, the stages, the admin listener or the worker.
low="api upstream limits cache scheduler redis tenancy observability state config common"
for dir in $low; do
  bad=$(grep -HnE '#include "(http/|proxy/|admin/|worker\.hpp|runtime\.hpp)' "$dir"/*.hpp "$dir"/*.cpp 2>/dev/null)
  if [ -n "$bad" ]; then echo "FAIL: $dir/ includes a higher floor:"; echo "$bad"; fail=1; fi
done
bad=$(grep -HnE '#include "(http/|admin/)' proxy/*.hpp proxy/*.cpp 2>/dev/null)
if [ -n "$bad" ]; then echo "FAIL: proxy/ includes http/ or admin/:"; echo "$bad"; fail=1; fi

# Folder-level include graph (files at the root of src/ are the wiring on top and left out).
edges=$(for f in */*.hpp */*.cpp; do
  from=${f%%/*}
  grep -hoE '#include "[a-z_]+/' "$f" | sed -E 's/#include "([a-z_]+)\//\1/' | while read -r to; do
    [ "$to" != "$from" ] && [ -d "$to" ] && echo "$from $to"
  done
done | sort -u)
if ! echo "$edges" | tsort >/dev/null 2>&1; then
  echo "FAIL: the folders' include graph has a cycle:"
  echo "$edges" | tsort 2>&1 >/dev/null | head -20
  fail=1
fi
[ $fail -eq 0 ] && echo "layering: ok ($(echo "$edges" | wc -l) folder edges, no cycle)"
exit $fail
