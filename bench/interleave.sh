#!/usr/bin/env bash
# Interleaved rounds: every round runs each selected benchmark once, so that
# the drift of a shared VM falls on every row alike; then min, median and
# max of ns/op (and the last B/op and allocs/op) per benchmark.
#
#   ./interleave.sh ROUNDS BENCHTIME 'REGEXP' [OUT]
#   ./interleave.sh 10 20000x 'Cold|Warm'
set -euo pipefail
cd "$(dirname "$0")"
rounds="${1:-10}" benchtime="${2:-1s}" pattern="${3:-.}" out="${4:-/tmp/gqljwt-interleave.txt}"
go test -c -o /tmp/gqljwt-bench.test .
: >"$out"
for i in $(seq "$rounds"); do
	/tmp/gqljwt-bench.test -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime" -test.benchmem | tee -a "$out" >&2
done
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i++) {
		if ($(i+1) == "ns/op") ns[name] = ns[name] " " $i
		if ($(i+1) == "B/op") bytes[name] = $i
		if ($(i+1) == "allocs/op") allocs[name] = $i
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
END {
	printf "%-40s %10s %10s %10s %8s %7s\n", "benchmark", "min ns", "median ns", "max ns", "B/op", "allocs"
	for (k = 1; k <= n; k++) {
		name = order[k]; m = split(substr(ns[name], 2), v, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
		printf "%-40s %10.0f %10.0f %10.0f %8s %7s\n", name, v[1], med, v[m], bytes[name], allocs[name]
	}
}' "$out"
