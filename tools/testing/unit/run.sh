#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the plain and the sanitizer test binaries and print the sum of
# their counts as the last line.  A binary that dies before printing its
# summary counts as one failure.  Usage: run.sh BUILD_DIR SEED CASES
set -o pipefail
dir=$1 seed=$2 cases=$3
pass=0 fail=0

for spec in "unit $cases" "unit-san $((cases / 4))"; do
	set -- $spec
	out=$("$dir/$1" -s "$seed" -n "$2" 2>&1 | tee /dev/stderr | tail -n 1)
	rc=$?
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		[[ $rc -ne 0 && ${BASH_REMATCH[2]} -eq 0 ]] && fail=$((fail + 1))
	else
		echo "$1: exited $rc without a summary" >&2
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
