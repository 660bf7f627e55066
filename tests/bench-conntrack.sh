#!/bin/sh
# tests/bench-conntrack.sh - section 8 of `make bench`: what the connection
# tracker costs the connections it watches. A client here and a server in a
# network namespace of its own, over a veth pair, both in a cgroup of the
# benchmark's (both ends tracked: an active and a passive connection each):
#   - connections per second: connect, a 64-byte request, a 64-byte answer,
#     the server closes, the client closes (tests/bench/connrate.c, like
#     netperf's TCP_CRR);
#   - bulk: one iperf3 TCP stream, Gbit/s, the offloads at their defaults;
# with nothing attached, with an empty sockops program (what calling one
# costs by itself, tests/bench/sockops_empty.bpf.c), with the tracker
# attached (xdp-attach --cgroup, nobody reading: counters and the live
# table), and with xdp-conntrack reading every close event (JSON lines to
# /dev/null). Then one more run under the tracker with the kernel's BPF
# statistics on (kernel.bpf_stats_enabled, set back after) gives the
# program's own run time per connection. The configurations
# are interleaved over BENCH_ROUNDS rounds (default 5) of BENCH_SECONDS
# seconds (default 3); a figure is the median with the spread (max - min),
# and its ratio to nothing attached in the same run. Needs root; addresses
# from 198.18.0.0/15 only, on the pair it makes and removes.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
# shellcheck source=tests/bench-lib.sh
. "$top/tests/bench-lib.sh"
XK_PROG=bench
xkb_settings 5
xk_require_root
xk_require_build
xk_require_tool iperf3 iperf3
connrate=$top/build/bench/connrate
[ -x "$connrate" ] || xk_die 1 "$connrate: not built (make bench-objs)"
id=$$
ns=xkbc$id a=xkbc${id}a b=xkbc${id}b
tmp=$(mktemp -d)
XDPKIT_BPFFS=/sys/fs/bpf/xkbc$id
XDPKIT_RUNDIR="$tmp/run"
export XDPKIT_BPFFS XDPKIT_RUNDIR
cg=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
[ -n "$cg" ] || xk_die 1 "no cgroup2 mounted"
cg=$cg/xkbench-$id

cleanup() {
	local p
	[ -z "${stats0:-}" ] || sysctl -qw kernel.bpf_stats_enabled="$stats0"
	[ ! -s "$tmp/reader.pid" ] || kill "$(cat "$tmp/reader.pid")" 2>/dev/null || :
	"$top/bin/xdp-detach" --cgroup "$cg" >/dev/null 2>&1 || :
	while read -r p; do kill -9 "$p" 2>/dev/null || :; done <"$cg/cgroup.procs" 2>/dev/null || :
	for _ in $(seq 50); do
		[ -d "$cg" ] || break
		rmdir "$cg" 2>/dev/null && break
		sleep 0.1
	done
	ip link del "$a" 2>/dev/null || :
	ip netns del "$ns" 2>/dev/null || :
	rm -rf "$XDPKIT_BPFFS" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a command in the benchmark's cgroup, in the namespace with -n.
in_cg() { # [-n] COMMAND...
	if [ "$1" = -n ]; then
		shift
		set -- nsenter --net="/run/netns/$ns" "$@"
	fi
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

mkdir "$cg"
xkb_pair "$ns" "$a" "$b" 198.18.92
in_cg -n "$connrate" serve 198.18.92.2 7000 >/dev/null 2>&1 &
in_cg -n iperf3 -s -B 198.18.92.2 >/dev/null 2>&1 &
for _ in $(seq 50); do
	[ "$(ip netns exec "$ns" ss -Hltn | grep -c '198.18.92.2:\(7000\|5201\) ')" -eq 2 ] && break
	sleep 0.1
done

# Attach configuration $1, detach it with "off".
config() { # NAME on|off
	case $1:$2 in
	none:*) ;;
	empty:on)
		mkdir -p "$XDPKIT_BPFFS"
		[ -e "$XDPKIT_BPFFS/empty" ] ||
			bpftool prog load "$top/build/bench/sockops_empty.bpf.o" "$XDPKIT_BPFFS/empty"
		bpftool cgroup attach "$cg" sock_ops pinned "$XDPKIT_BPFFS/empty" multi ;;
	empty:off) bpftool cgroup detach "$cg" sock_ops pinned "$XDPKIT_BPFFS/empty" ;;
	tracker:on) "$top/bin/xdp-attach" --cgroup "$cg" conntrack >/dev/null 2>&1 ;;
	reader:on)
		"$top/bin/xdp-attach" --cgroup "$cg" conntrack >/dev/null 2>&1
		"$top/bin/xdp-conntrack" --cgroup "$cg" --json >/dev/null 2>"$tmp/reader.err" &
		echo $! >"$tmp/reader.pid"
		for _ in $(seq 100); do
			"$top/bin/xdp-status" --json 2>/dev/null | jq -s -e --arg c "$cg" \
				'any(.[]; .cgroup == $c and .conntrack.running)' >/dev/null && break
			sleep 0.1
		done ;;
	reader:off)
		kill "$(cat "$tmp/reader.pid")" 2>/dev/null || :
		wait "$(cat "$tmp/reader.pid")" 2>/dev/null || :
		: >"$tmp/reader.pid"
		"$top/bin/xdp-detach" --cgroup "$cg" >/dev/null 2>&1 ;;
	tracker:off) "$top/bin/xdp-detach" --cgroup "$cg" >/dev/null 2>&1 ;;
	esac
}

# The tracker's counters (a JSON object), while it is attached.
ctstats() { "$top/build/xk-dump" "$XDPKIT_BPFFS"/cgroup/*/ct_stats; }

# One measurement of TEST (conn or bulk) under CONFIG: connections/s, or
# Gbit/s. Under the tracker, the connections it counted are checked
# against those made: each a connect, an active and a passive
# establishment, and two closes (both ends).
measure() { # TEST CONFIG
	local c0 c1 n
	if [ "$1" = bulk ]; then
		in_cg iperf3 -c 198.18.92.2 -t "$secs" -J >"$tmp/out.json" 2>/dev/null || { echo 0; return 0; }
		jq '.end.sum_received.bits_per_second / 1e9' "$tmp/out.json"
		return 0
	fi
	case $2 in none | empty) set -- "$1" "" ;; esac
	[ -z "$2" ] || c0=$(ctstats | jq -c '[.connects, .active, .passive, .closed]')
	in_cg "$connrate" run 198.18.92.2 7000 "$secs" >"$tmp/conn" || { echo 0; return 0; }
	[ -z "$2" ] || {
		# the server's last close may lag the client's by a moment
		sleep 0.2
		c1=$(ctstats | jq -c '[.connects, .active, .passive, .closed]')
		n=$(cut -d' ' -f2 "$tmp/conn")
		[ "$(echo "$c0 $c1" | jq -s -c 'transpose | map(.[1] - .[0])')" = "[$n,$n,$n,$((2 * n))]" ] ||
			echo "bench: $2: $n connections, the tracker counted $c0 -> $c1 [connects, active, passive, closed]" >&2
	}
	cut -d' ' -f1 "$tmp/conn"
}

configs="none empty tracker reader"
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	for c in $configs; do
		config "$c" on
		for t in conn bulk; do
			measure "$t" "$c" >>"$tmp/s.$c.$t"
		done
		config "$c" off
	done
done

stat() { xkb_stat "$1" 2; }
# "median (spread) ratio" of FILE against REF's median; FORMAT for the
# figures
cell() { # FILE REF FORMAT
	local m
	m=$(stat "$2" | cut -d' ' -f1)
	# shellcheck disable=SC2046 # two numbers
	set -- "$3" "$m" $(stat "$1")
	echo "$3 $4 $2" | awk -v f="$1" '{ printf f, $1, $2, ($3 > 0 ? $1 / $3 : 0) }'
}
ratio() { # CONFIG TEST
	echo "$(stat "$tmp/s.$1.$2" | cut -d' ' -f1) $(stat "$tmp/s.none.$2" | cut -d' ' -f1)" |
		awk '{ printf "%.3f", ($2 > 0 ? $1 / $2 : 0) }'
}

echo
echo "8. connection tracking: a client here, a server in a namespace, over a veth pair, both"
echo "   in one cgroup (both ends tracked); $rounds interleaved rounds of $secs s; median (spread)"
echo "   and the ratio to nothing attached. conn/s: connect, 64-byte request, 64-byte answer,"
echo "   close (tests/bench/connrate.c); bulk: one iperf3 TCP stream, Gbit/s"
printf '%-36s %26s %26s\n' "" "connections/s" "bulk Gbit/s"
for c in $configs; do
	case $c in
	none) l="nothing attached" ;;
	empty) l="an empty sockops program" ;;
	tracker) l="tracker (xdp-attach --cgroup)" ;;
	reader) l="tracker + xdp-conntrack --json" ;;
	esac
	printf '%-36s %26s %26s\n' "$l" \
		"$(cell "$tmp/s.$c.conn" "$tmp/s.none.conn" '%9.0f (%6.0f)  %5.3f')" \
		"$(cell "$tmp/s.$c.bulk" "$tmp/s.none.bulk" '%9.2f (%6.2f)  %5.3f')"
done
for c in tracker reader; do
	cr=$(ratio "$c" conn) br=$(ratio "$c" bulk)
	echo "target ($c): connections/s at least 0.9 x: $cr -> $(echo "$cr" | awk '{ print ($1 >= 0.9 ? "met" : "NOT met") }');" \
		"bulk at least 0.98 x: $br -> $(echo "$br" | awk '{ print ($1 >= 0.98 ? "met" : "NOT met") }')"
done

# The program's own time: one run under the tracker with BPF statistics on
stats0=$(sysctl -n kernel.bpf_stats_enabled)
config tracker on
sysctl -qw kernel.bpf_stats_enabled=1
in_cg "$connrate" run 198.18.92.2 7000 "$secs" >"$tmp/conn" || :
sysctl -qw kernel.bpf_stats_enabled="$stats0"
pid=$(bpftool -j cgroup show "$cg" | jq '.[0].id')
bpftool -j prog show id "$pid" | jq -r --argjson n "$(cut -d' ' -f2 "$tmp/conn")" \
	'"xdpkit_sockops run time: \(.run_time_ns / $n | floor) ns per connection (both ends), " +
	 "\(.run_cnt / $n * 10 | round / 10) calls of \(.run_time_ns / .run_cnt | floor) ns (kernel.bpf_stats_enabled)"'
config tracker off
[ ! -s "$tmp/reader.err" ] || sed 's/^/   reader: /' "$tmp/reader.err"
