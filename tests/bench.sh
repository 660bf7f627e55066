#!/bin/sh
# tests/bench.sh - what `make bench` runs: per-packet cost of the datapath,
# by BPF_PROG_TEST_RUN (bpftool prog run ... repeat N), every row loaded and
# measured in this one run so the rows compare.
#
# Columns: ns/packet pinned to CPU 0, to CPU 1 (the two vCPUs differ), and
# with both CPUs running the same program at once (what a busy host sees;
# shared cache lines show up here). Each figure is the median of 3 runs.
# BENCH_REPEAT sets the repeat count (default 10000000). Needs root.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
XK_PROG=bench
repeat=${BENCH_REPEAT:-10000000}
xk_check_uint BENCH_REPEAT "$repeat"
xk_require_root
xk_require_build
root=/sys/fs/bpf/xkbench$$
tmp=$(mktemp -d)

cleanup() { rm -rf "$root" "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$root"
bpftool prog load "$XK_LIBEXEC/pass.bpf.o" "$root/pass"
bpftool prog loadall "$XK_OBJ" "$root/dp" pinmaps "$root/maps"

# frame: 64 bytes, IPv4 UDP (the datapath's count feature does not parse,
# but later features do; one frame for every row keeps them comparable)
{
	printf '\377\377\377\377\377\377\000\021\042\063\104\125\010\000'
	printf '\105\000\000\062\000\001\000\000\100\021\000\000\300\000\002\001\300\000\002\002'
	printf '\060\071\000\065\000\036\000\000'
	head -c 22 /dev/zero
} >"$tmp/frame"

# ns/packet of PIN on CPU $2
run1() {
	taskset -c "$2" bpftool -j prog run pinned "$1" data_in "$tmp/frame" repeat "$repeat" |
		jq .duration
}

median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# "cpu0 cpu1 both0 both1" for PIN
measure() {
	local c0 c1 b0 b1 x y
	c0="" c1="" b0="" b1=""
	for _ in 1 2 3; do
		c0="$c0 $(run1 "$1" 0)"
		c1="$c1 $(run1 "$1" 1)"
		run1 "$1" 0 >"$tmp/b0" &
		x=$!
		run1 "$1" 1 >"$tmp/b1" &
		y=$!
		wait "$x" "$y"
		b0="$b0 $(cat "$tmp/b0")"
		b1="$b1 $(cat "$tmp/b1")"
	done
	# shellcheck disable=SC2086 # the lists are meant to split
	echo "$(median3 $c0) $(median3 $c1) $(median3 $b0) $(median3 $b1)"
}

features() { # JSON list of feature names
	xk_map_write "$root/maps/config" 0 xk_config "{\"features\": $1}"
}

row() { # LABEL PIN BASE_CPU0
	local m
	m=$(measure "$2")
	# shellcheck disable=SC2086
	set -- "$1" $m "${3:-}"
	printf '%-34s %8s %8s %10s %10s %9s\n' "$1" "$2" "$3" "$4" "$5" \
		"$([ -n "$6" ] && echo "+$(($2 - $6))" || echo -)"
}

echo "xdpkit bench: ns/packet by BPF_PROG_TEST_RUN, 64-byte IPv4/UDP frame, repeat $repeat, median of 3"
echo "kernel $(uname -r), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
printf '%-34s %8s %8s %10s %10s %9s\n' program cpu0 cpu1 "both:cpu0" "both:cpu1" "vs empty"
base=$(measure "$root/pass")
# shellcheck disable=SC2086 # four numbers
set -- $base
printf '%-34s %8s %8s %10s %10s %9s\n' "empty XDP_PASS" "$1" "$2" "$3" "$4" -
b0=$1
features '[]'
row "xdpkit ingress, no feature on" "$root/dp/xdpkit_ingress" "$b0"
features '["count"]'
row "xdpkit ingress, count" "$root/dp/xdpkit_ingress" "$b0"
row "xdpkit egress (tc), count" "$root/dp/xdpkit_egress" ""
