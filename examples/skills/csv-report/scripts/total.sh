#!/bin/sh
# Sum column $2 (counted from 1) of the CSV file $1, its header line skipped.
awk -F, -v c="$2" 'NR > 1 { s += $c } END { print s + 0 }' "$1"
