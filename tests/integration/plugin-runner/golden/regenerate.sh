#!/bin/sh
# Rewrites the golden --help/--usage files from the programs in a build
# tree. Run it after a deliberate change to an option or its text, then
# review the diff (git diff tests/integration/plugin-runner/golden).
#
# Usage: tests/integration/plugin-runner/golden/regenerate.sh BUILD_DIR
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 64
fi
build=$1
here=$(dirname "$0")

# password-prompt exits with 64 after --help/--usage, as the reference does;
# the others exit with 0. Any other status means the program is broken.
capture() {
  program=$1 kind=$2 expected=$3
  status=0
  "$build/$program" "--$kind" > "$here/$(basename "$program").$kind.new" || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "$program --$kind exited with $status, expected $expected" >&2
    rm -f "$here/$(basename "$program").$kind.new"
    exit 1
  fi
  mv "$here/$(basename "$program").$kind.new" "$here/$(basename "$program").$kind"
}

for kind in help usage; do
  capture plugin-runner/plugin-runner "$kind" 0
  capture plugins.d/password-prompt "$kind" 64
  capture plugins.d/plymouth "$kind" 0
  capture password-agent/password-agent "$kind" 0
done
