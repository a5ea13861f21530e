#!/bin/sh
# Fails when a manual page's OPTIONS section and its program's --help
# output name different long options, so that neither can drift.
#
# Usage: man_options_match_help.sh PAGE.scd=PROGRAM ...
# PROGRAM "-" stands for a program that takes no options (and must not be
# run to find out, e.g. askpass-fifo would wait on its FIFO): the page must
# then list none.
#
# From --help: lines whose first non-blank character is "-" and that are
# indented by at most 8 columns (argp, boost and argparse all put options
# there; wrapped descriptions are indented further). On such a line, the
# option column is the leading run of words that look like option syntax
# ("-x", "--name=ARG", "[", "]", upper-case metavariables); the first other
# word starts the description. Every "--name" in that column counts.
#
# From the page: in every section whose title contains OPTIONS or ACTIONS
# ("# OPTIONS", "# LISTING OPTIONS", ...), the terms of the definition
# lists, i.e. lines starting with "*-" that are followed by a tab-indented
# description. Every "--name" there counts. Option names mentioned in the
# descriptions or in ordinary paragraphs do not.
set -u

help_options() {
  awk '
    {
      match($0, /^ */)
      if (RLENGTH > 8 || substr($0, RLENGTH + 1, 1) != "-") next
      n = split($0, word, " ")
      for (i = 1; i <= n; i++) {
        w = word[i]
        if (w !~ /^-/ && w !~ /^[][]$/ && w ~ /[a-z]/) break
        while (match(w, /--[A-Za-z0-9][A-Za-z0-9-]*/)) {
          print substr(w, RSTART, RLENGTH)
          w = substr(w, RSTART + RLENGTH)
        }
      }
    }' | sort -u
}

page_options() {
  awk '
    /^# / { in_options = ($0 ~ /OPTIONS|ACTIONS/); previous = ""; next }
    in_options && /^\t/ && previous ~ /^\*-/ {
      line = previous
      while (match(line, /--[A-Za-z0-9][A-Za-z0-9-]*/)) {
        print substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
      }
    }
    { previous = $0 }' "$1" | sort -u
}

if [ $# -eq 0 ]; then
  echo "usage: $0 PAGE.scd=PROGRAM ..." >&2
  exit 2
fi

scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
failures=0
for pair in "$@"; do
  page=${pair%%=*}
  program=${pair#*=}
  name=$(basename "$page" .scd)
  if [ ! -r "$page" ]; then
    echo "FAIL $name: page $page not readable"
    failures=$((failures + 1))
    continue
  fi
  if [ "$program" = "-" ]; then
    page_options "$page" > "$scratch/from-page"
    if [ -s "$scratch/from-page" ]; then
      echo "FAIL $name: the program takes no options, but the page lists:"
      cat "$scratch/from-page"
      failures=$((failures + 1))
    else
      echo "ok   $name: no options"
    fi
    continue
  fi
  if [ ! -x "$program" ]; then
    echo "FAIL $name: program $program not built"
    failures=$((failures + 1))
    continue
  fi
  # Some programs exit with 64 after --help, as their originals do; only
  # the text matters here. stdin is /dev/null so nothing can wait for input.
  "$program" --help < /dev/null > "$scratch/help" 2> "$scratch/help.err"
  help_options < "$scratch/help" > "$scratch/from-help"
  page_options "$page" > "$scratch/from-page"
  if [ ! -s "$scratch/from-help" ]; then
    echo "FAIL $name: no options found in the output of $program --help:"
    cat "$scratch/help" "$scratch/help.err"
    failures=$((failures + 1))
  elif ! cmp -s "$scratch/from-help" "$scratch/from-page"; then
    echo "FAIL $name: options differ (< only in --help, > only in the page's OPTIONS):"
    diff "$scratch/from-help" "$scratch/from-page" | grep '^[<>]'
    failures=$((failures + 1))
  else
    echo "ok   $name: $(wc -l < "$scratch/from-help") long options"
  fi
done
[ "$failures" -eq 0 ]
