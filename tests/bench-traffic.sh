#!/bin/sh
# tests/bench-traffic.sh - what `make bench-traffic` runs: the throughput a
# veth keeps with a monitor attached, which is what an operator feels (make
# bench measures ns per packet). iperf3 over a veth pair between a network
# namespace of its own and the host side: TCP bulk and 18-byte UDP, into
# the host (the host side's ingress) and out of it (its egress), for
# nothing attached, an empty XDP program (native and generic), xdpkit stats
# (native and generic XDP, tc on egress) and tcpdump -w /dev/null. The
# configurations are interleaved over BENCH_ROUNDS rounds (default 3) of
# BENCH_SECONDS seconds (default 3); a figure is the median with the spread
# (max - min), and its ratio to nothing attached in the same run. Needs
# root; addresses from 198.18.0.0/15 only, on the pair it makes and removes.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
XK_PROG=bench-traffic
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECONDS:-3}
xk_check_uint BENCH_ROUNDS "$rounds"
xk_check_uint BENCH_SECONDS "$secs"
if [ "$rounds" -lt 1 ] || [ "$secs" -lt 1 ]; then
	xk_usage "BENCH_ROUNDS and BENCH_SECONDS: at least 1"
fi
xk_require_root
xk_require_build
xk_require_tool iperf3 iperf3
xk_require_tool tcpdump tcpdump
id=$$
ns=xkbt$id a=xkbt${id}a b=xkbt${id}b
tmp=$(mktemp -d)
XDPKIT_BPFFS=/sys/fs/bpf/xkbt$id
XDPKIT_RUNDIR="$tmp/run"
export XDPKIT_BPFFS XDPKIT_RUNDIR

cleanup() {
	[ ! -s "$tmp/iperf.pid" ] || kill "$(cat "$tmp/iperf.pid")" 2>/dev/null || :
	[ ! -s "$tmp/tcpdump.pid" ] || kill "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || :
	ip link del "$a" 2>/dev/null || :
	ip netns del "$ns" 2>/dev/null || :
	rm -rf "$XDPKIT_BPFFS" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip link add "$a" type veth peer name "$b" netns "$ns"
ip addr add 198.18.91.1/24 dev "$a"
ip -n "$ns" addr add 198.18.91.2/24 dev "$b"
ip link set "$a" up
ip -n "$ns" link set "$b" up
ip -n "$ns" link set lo up
iperf3 -s -B 198.18.91.1 -D --pidfile "$tmp/iperf.pid" >/dev/null
sleep 0.5

# Attach configuration $1 to the host side, detach it with "off".
config() { # NAME on|off
	case $1:$2 in
	none:*) ;;
	empty-*:on)
		mkdir -p "$XDPKIT_BPFFS"
		[ -e "$XDPKIT_BPFFS/pass" ] || bpftool prog load "$XK_LIBEXEC/pass.bpf.o" "$XDPKIT_BPFFS/pass" type xdp
		ip link set dev "$a" "$(xk_ip_mode "${1#empty-}")" pinned "$XDPKIT_BPFFS/pass" ;;
	empty-*:off) ip link set dev "$a" "$(xk_ip_mode "${1#empty-}")" off ;;
	xdpkit-*:on) "$top/bin/xdp-attach" "$a" stats --mode "${1#xdpkit-}" 2>/dev/null ;;
	xdpkit-*:off) "$top/bin/xdp-detach" "$a" 2>/dev/null ;;
	tcpdump:on)
		tcpdump -i "$a" -w /dev/null -q 2>/dev/null &
		echo $! >"$tmp/tcpdump.pid"
		sleep 1 ;;
	tcpdump:off) kill "$(cat "$tmp/tcpdump.pid")"; wait "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || :; : >"$tmp/tcpdump.pid" ;;
	esac
}

# One measurement: TEST tcp|udp, DIR in (into the host) | out; prints
# Gbit/s for tcp, Mpps received for udp.
measure() { # TEST DIR
	local args
	args="-c 198.18.91.1 -t $secs -J"
	[ "$2" = in ] || args="$args -R"
	[ "$1" = tcp ] || args="$args -u -b 0 -l 18"
	# shellcheck disable=SC2086 # a list of options
	ip netns exec "$ns" iperf3 $args >"$tmp/out.json" 2>/dev/null || { echo 0; return 0; }
	if [ "$1" = tcp ]; then
		jq '.end.sum_received.bits_per_second / 1e9' "$tmp/out.json"
	else
		jq '.end.sum | (.packets - .lost_packets) / .seconds / 1e6' "$tmp/out.json"
	fi
}

configs="none empty-native empty-generic xdpkit-native xdpkit-generic tcpdump"
tests="tcp:in tcp:out udp:in udp:out"
echo "xdpkit bench-traffic: iperf3 over a veth pair, $rounds interleaved rounds of $secs s"
echo "kernel $(uname -r); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	for c in $configs; do
		config "$c" on
		for t in $tests; do
			measure "${t%:*}" "${t#*:}" >>"$tmp/s.$c.${t%:*}.${t#*:}"
		done
		config "$c" off
	done
done

# "median spread" of the numbers in FILE
stat() {
	sort -g "$1" | awk '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.3f %.3f\n", m, a[NR] - a[1] }'
}
echo
echo "medians (spread), and the ratio to nothing attached; TCP in Gbit/s, 18-byte UDP in Mpps received"
printf '%-16s %22s %22s %22s %22s\n' attached "TCP into host" "TCP out of host" "UDP into host" "UDP out of host"
for c in $configs; do
	line=$(printf '%-16s' "$c")
	for t in $tests; do
		f=$tmp/s.$c.${t%:*}.${t#*:}
		# shellcheck disable=SC2046 # two numbers
		set -- $(stat "$f")
		base=$(stat "$tmp/s.none.${t%:*}.${t#*:}" | cut -d' ' -f1)
		line="$line $(printf '%8s (%5s) %5s' "$1" "$2" "$(echo "$1 $base" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')")"
	done
	printf '%s\n' "$line"
done
echo "(xdpkit uses XDP on ingress and tc on egress; 'into host' is the host side's ingress)"
