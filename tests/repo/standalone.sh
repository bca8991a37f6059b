#!/usr/bin/env bash
# The project stands alone: no tracked file refers to material outside the repository (the
# directory beside a checkout is not something users have). Usage: standalone.sh SOURCE_DIR
set -u
src=$1
cd "$src" || exit 1
# The directory beside a checkout, and its contract's files by their names there (spelled in parts
# so that this file does not match itself).
outside='\.\./'"shared"'|(^|[^a-z/])'"spec"'/[a-z-]+\.md'
if git rev-parse --git-dir >/dev/null 2>&1; then
  hits=$(git grep -nE "$outside" -- . 2>/dev/null)
else
  hits=$(grep -rnE "$outside" --exclude-dir=build\* --exclude-dir=node_modules --exclude-dir=.git . 2>/dev/null)
fi
if [ -n "$hits" ]; then
  echo "FAIL: these lines refer to files outside the repository:"
  echo "$hits"
  exit 1
fi
echo "standalone: ok"
