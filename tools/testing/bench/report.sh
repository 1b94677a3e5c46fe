#!/bin/bash
# report.sh OUT MODE...: turn the bench boots' consoles (OUT/<mode>.log,
# mode wall or icount) into
#   OUT/results.tsv   every result: mode backend round name value unit better extra
#   OUT/results.md    per benchmark and mode: the median over the rounds
#                     for kvmx and for KVM, and the ratio kvmx/KVM
#   OUT/bench.png     the ratios, as kvmx's cost relative to KVM's (gnuplot)
# The nested boots (@@VMM-END of qemu-guest/vmm.sh) become vmm-<variant>
# (QEMU start to the nested /init) and vmm-<variant>-exit (to QEMU's exit),
# in outer guest seconds: instructions / 10^9 under icount.
set -u
OUT=$1; shift
MODES=${*:-wall icount}
TSV=$OUT/results.tsv MD=$OUT/results.md
printf 'mode\tbackend\tround\tname\tvalue\tunit\tbetter\textra\n' >"$TSV"
for mode in $MODES; do
	[ -f "$OUT/$mode.log" ] || { echo "report: no $OUT/$mode.log" >&2; continue; }
	tr -d '\r' <"$OUT/$mode.log" | grep -a -o -E '@@(BENCH|VMM-END) .*' | awk -v mode="$mode" '
	BEGIN { OFS = "\t" }
	$1 == "@@BENCH" {
		extra = ""; for (i = 8; i <= NF; i++) extra = extra (extra == "" ? "" : " ") $i
		print mode, $2, $3, $4, $5, $6, $7, extra
	}
	$1 == "@@VMM-END" && $4 == "ok" {
		b = $5; sub(/^boot=/, "", b); t = $6; sub(/^t=/, "", t)
		print mode, $3, 1, "vmm-" $2, b, "s", "lo", ""
		print mode, $3, 1, "vmm-" $2 "-exit", t, "s", "lo", ""
	}'
done >>"$TSV"

# Load of the host while the boots ran, and what the guests said.
INFO=$(for mode in $MODES; do
	[ -f "$OUT/$mode.log" ] && tr -d '\r' <"$OUT/$mode.log" |
		grep -a -o '@@BENCH-INFO .*' | sed "s/^@@BENCH-INFO /$mode: /"
done)

awk -F'\t' -v modes="$MODES" -v dat="$OUT/ratios.dat" '
function med(key,   n, i, j, t, a) {
	n = cnt[key]; if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	lo[key] = a[1]; hi[key] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v) {
	if (v == "") return "-"
	v += 0
	if (v == 0) return "0"
	if (v >= 1000) return sprintf("%.0f", v)
	if (v >= 100) return sprintf("%.1f", v)
	if (v >= 1) return sprintf("%.2f", v)
	return sprintf("%.3g", v)
}
function times(x) { return x >= 10 ? sprintf("%.0fx", x) : sprintf("%.2gx", x) }
# kvmx against KVM, in words.
function verdict(r, better, unit) {
	if (r == "") return ""
	if (r > 0.95 && r < 1.05) return "same"
	if (unit == "KiB") return r > 1 ? times(r) " bigger" : times(1 / r) " smaller"
	if (better == "hi") r = 1 / r
	return r > 1 ? times(r) " slower" : times(1 / r) " faster"
}
NR == 1 { next }
{
	k = $1 SUBSEP $2 SUBSEP $4
	val[k, ++cnt[k]] = $5
	if (!($4 in unit)) { order[++nn] = $4; unit[$4] = $6; better[$4] = $7 }
}
END {
	nm = split(modes, m, " ")
	hdr = "| benchmark | unit | better |"; sep = "| --- | --- | --- |"
	for (i = 1; i <= nm; i++) {
		s = m[i] == "wall" ? "" : " (" m[i] ")"
		hdr = hdr " kvmx" s " | KVM" s " | **kvmx/KVM" s "** |"; sep = sep " ---: | ---: | ---: |"
	}
	print hdr " kvmx is |"; print sep " --- |"
	printf "# name wall icount (kvmx cost / KVM cost)\n" >dat
	for (o = 1; o <= nn; o++) {
		name = order[o]
		line = "| " name " | " unit[name] " | " (better[name] == "lo" ? "lower" : "higher") " |"
		last = ""; cost_w = "?"; cost_i = "?"
		for (i = 1; i <= nm; i++) {
			x = med(m[i] SUBSEP "kvmx" SUBSEP name); kx = m[i] SUBSEP "kvmx" SUBSEP name
			y = med(m[i] SUBSEP "kvm" SUBSEP name); ky = m[i] SUBSEP "kvm" SUBSEP name
			# No ratio of values at the noise floor: <= 0, or under
			# 2 KiB per object (slab accounting is page-granular).
			floor = unit[name] == "KiB" ? 2 : 0
			r = (x != "" && y != "" && x + 0 > floor && y + 0 > floor) ? x / y : ""
			# Rounds and their spread, if more than one: min-max.
			sx = cnt[kx] > 1 && x + 0 != 0 ? sprintf(" <sub>±%.0f%%</sub>", 50 * (hi[kx] - lo[kx]) / x) : ""
			sy = cnt[ky] > 1 && y + 0 != 0 ? sprintf(" <sub>±%.0f%%</sub>", 50 * (hi[ky] - lo[ky]) / y) : ""
			line = line " " fmt(x) sx " | " fmt(y) sy " | **" (r == "" ? "-" : sprintf("%.3g", r)) "** |"
			if (r != "") {
				last = r
				c = better[name] == "hi" ? 1 / r : r
				if (m[i] == "wall") cost_w = c; else cost_i = c
			}
		}
		print line " " verdict(last, better[name], unit[name]) " |"
		# The plot: without the -all and -sys rows (the same story).
		if ((cost_w != "?" || cost_i != "?") && name !~ /-(all|sys)$/)
			printf "%s %s %s\n", name, cost_w, cost_i >dat
	}
}' "$TSV" >"$OUT/table.md"

{
	echo "# kvmx vs KVM: make bench"
	echo
	# bench.sh wrote when and what it ran (NOBOOT=1 reports keep it).
	if [ -f "$OUT/run-info" ]; then cat "$OUT/run-info"
	else echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kvmx $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)."
	fi
	echo "Each value is the median over the rounds (each round's value is itself"
	echo "a median of many iterations; <sub>±</sub> is half the min-max spread"
	echo "over the rounds).  Ratio kvmx/KVM of the values as shown: for"
	echo "\"lower\" rows > 1 means kvmx is slower (bigger), for \"higher\" rows"
	echo "< 1 means kvmx is slower; \"kvmx is\" reads the last ratio."
	echo
	cat "$OUT/table.md"
	echo
	echo "Notes: wall = QEMU TCG, 2 vCPUs, the guest clock follows the host;"
	echo "icount = -icount shift=0,sleep=off, 1 vCPU, 1 ns per instruction, idle"
	echo "time skipped.  wake-ipi: both vCPU threads on one CPU of the test-bed."
	echo "Fault-in and dirty-log sizes are in results.tsv (size=; 4K backing:"
	echo "128 MiB by default, for time; dirty: 32 MiB).  vmm-*: the test-bed's nested QEMU"
	echo "boot, one per backend and boot.  mem-*-sys (meminfo: slab, vmalloc,"
	echo "percpu, page tables) misses plain page allocations, which memcg's"
	echo "mem-* counts; no ratio under 2 KiB.  See tools/testing/bench/README.md."
	echo
	echo "Test-bed (what the guests saw):"
	echo
	printf '%s\n' "$INFO" | sed 's/^/    /'
	[ -f "$OUT/load.txt" ] && { echo; echo "Host load (uptime before and after each boot):"; echo; sed 's/^/    /' "$OUT/load.txt"; }
} >"$MD"

if command -v gnuplot >/dev/null && [ "$(wc -l <"$OUT/ratios.dat")" -gt 1 ]; then
	gnuplot <<-EOF 2>"$OUT/gnuplot.log" || echo "report: gnuplot failed (see $OUT/gnuplot.log)" >&2
	set terminal pngcairo size 1400,700 font ",10"
	set output "$OUT/bench.png"
	set title "kvmx / KVM (kvm\\\\_amd), same emulated boot: time or memory (rates inverted); > 1: kvmx costs more"
	set datafile missing "?"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	set logscale y 2
	set ytics ("1/1024" 1./1024, "1/256" 1./256, "1/64" 1./64, "1/16" 1./16, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "16" 16, "64" 64)
	set grid ytics
	set bmargin 7
	set rmargin 12
	set ylabel "kvmx cost / KVM cost (log scale)"
	set xtics rotate by -40 scale 0
	set key top left
	set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
	plot "$OUT/ratios.dat" using 2:xtic(1) title "wall clock" lc rgb "#4477aa", \
	     "" using 3 title "icount (instructions)" lc rgb "#ee7733"
	EOF
fi
cat "$MD"
