#!/bin/sh
# Fails when a built manual page makes groff or man(1) warn, or lacks the
# sections every page needs.
#
# Usage: man_pages_render_cleanly.sh BUILT_PAGE ...
set -u
# Set to anything, this makes man(1) keep bold and underline in a pipe.
unset MAN_KEEP_FORMATTING MANPAGER PAGER

if [ $# -eq 0 ]; then
  echo "usage: $0 BUILT_PAGE ..." >&2
  exit 2
fi

scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
failures=0
for page in "$@"; do
  name=$(basename "$page")
  if [ ! -s "$page" ]; then
    echo "FAIL $name: not built (run the build first)"
    failures=$((failures + 1))
    continue
  fi
  # groff with every warning enabled, tbl for scdoc's tables, no output.
  warnings=$(groff -t -man -Tutf8 -ww -z "$page" 2>&1)
  # man(1) as a reader would run it, at a common terminal width.
  text=$(MANWIDTH=80 man --warnings -l "$page" 2>"$scratch/man-warnings")
  if [ -s "$scratch/man-warnings" ]; then
    warnings="$warnings${warnings:+
}$(cat "$scratch/man-warnings")"
  fi
  missing=""
  for section in NAME DESCRIPTION "SEE ALSO"; do
    printf '%s\n' "$text" | grep -q "^$section\$" || missing="$missing $section"
  done
  if [ -n "$warnings" ]; then
    echo "FAIL $name: warnings:"
    printf '%s\n' "$warnings"
    failures=$((failures + 1))
  elif [ -n "$missing" ]; then
    echo "FAIL $name: missing sections:$missing"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
done
[ "$failures" -eq 0 ]
