#!/bin/sh
# tests/bench-traffic.sh - what `make bench-traffic` runs: the throughput a
# veth keeps with a monitor attached, which is what an operator feels (make
# bench measures ns per packet). Over a veth pair between a network
# namespace of its own and the host side, into the host (the host side's
# ingress) and out of it (its egress):
#   - TCP bulk (iperf3, the offloads at their defaults);
#   - small packets at saturation: 64-byte UDP frames from trafgen
#     (netsniff-ng) to a closed port, from 4,096 source ports, counted as
#     the receiver's UDP NoPorts (every frame that went all the way up the
#     stack), with the softirq CPU of the whole machine meanwhile (iperf3's
#     own UDP is limited by iperf3 at about 0.15 Mpps here);
# for nothing attached, an empty program (native XDP, generic XDP, tc
# ingress), xdpkit stats in each hook (native and generic XDP, tc; egress is
# tc in all three), xdpkit stats and dns (dns: the traffic is not DNS, so
# this is the cost of the feature on other packets), xdpkit stats with
# xdp-capture running (capsel: a
# selection no packet passes; capture: every packet an event, JSON lines
# to /dev/null) and tcpdump -w /dev/null. BENCH_CONFIGS picks some of
# them (a space-separated list of the row names). The configurations are
# interleaved over BENCH_ROUNDS rounds (default 3) of BENCH_SECONDS seconds
# (default 3); a figure is the median with the spread (max - min), and its
# ratio to nothing attached in the same run. Needs root; addresses from
# 198.18.0.0/15 only, on the pair it makes and removes.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
# shellcheck source=tests/bench-lib.sh
. "$top/tests/bench-lib.sh"
XK_PROG=bench-traffic
xkb_settings 3
xk_require_root
xk_require_build
xk_require_tool iperf3 iperf3
xk_require_tool tcpdump tcpdump
xk_require_tool trafgen netsniff-ng
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

xkb_pair "$ns" "$a" "$b" 198.18.91
mac_a=$(cat "/sys/class/net/$a/address")
mac_b=$(ip -n "$ns" -j link show dev "$b" | jq -r '.[0].address')
iperf3 -s -B 198.18.91.1 -D --pidfile "$tmp/iperf.pid" >/dev/null
sleep 0.5

# Attach configuration $1 to the host side, detach it with "off".
config() { # NAME on|off
	case $1:$2 in
	none:*) ;;
	empty-tc:on)
		mkdir -p "$XDPKIT_BPFFS"
		[ -e "$XDPKIT_BPFFS/tcpass" ] || bpftool prog load "$XK_LIBEXEC/tcpass.bpf.o" "$XDPKIT_BPFFS/tcpass"
		tc qdisc add dev "$a" clsact
		tc filter add dev "$a" ingress pref 1 bpf direct-action object-pinned "$XDPKIT_BPFFS/tcpass" ;;
	empty-tc:off) tc qdisc del dev "$a" clsact ;;
	empty-*:on)
		mkdir -p "$XDPKIT_BPFFS"
		[ -e "$XDPKIT_BPFFS/pass" ] || bpftool prog load "$XK_LIBEXEC/pass.bpf.o" "$XDPKIT_BPFFS/pass" type xdp
		ip link set dev "$a" "$(xk_ip_mode "${1#empty-}")" pinned "$XDPKIT_BPFFS/pass" ;;
	empty-*:off) ip link set dev "$a" "$(xk_ip_mode "${1#empty-}")" off ;;
	xdpkit-auto:on) "$top/bin/xdp-attach" "$a" stats 2>/dev/null ;;
	xdpkit-dns:on) "$top/bin/xdp-attach" "$a" stats dns 2>/dev/null ;;
	xdpkit-capture:on | xdpkit-capsel:on)
		# stats, and a capture with a reader: every packet an event (JSON
		# lines to /dev/null), or a selection no packet passes (port 1)
		"$top/bin/xdp-attach" "$a" stats 2>/dev/null
		if [ "$1" = xdpkit-capture ]; then set --; else set -- --port 1; fi
		"$top/bin/xdp-capture" "$a" --json "$@" >/dev/null 2>&1 &
		echo $! >"$tmp/capture.pid"
		for _ in $(seq 100); do
			[ "$("$top/bin/xdp-status" "$a" --json 2>/dev/null | jq .capture.running)" = true ] && break
			sleep 0.1
		done ;;
	xdpkit-cap*:off)
		kill "$(cat "$tmp/capture.pid")" 2>/dev/null || :
		wait "$(cat "$tmp/capture.pid")" 2>/dev/null || :
		"$top/bin/xdp-detach" "$a" 2>/dev/null ;;
	xdpkit-*:on) "$top/bin/xdp-attach" "$a" stats --mode "${1#xdpkit-}" 2>/dev/null ;;
	xdpkit-*:off) "$top/bin/xdp-detach" "$a" 2>/dev/null ;;
	tcpdump:on)
		tcpdump -i "$a" -w /dev/null -q 2>/dev/null &
		echo $! >"$tmp/tcpdump.pid"
		sleep 1 ;;
	tcpdump:off) kill "$(cat "$tmp/tcpdump.pid")"; wait "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || :; : >"$tmp/tcpdump.pid" ;;
	esac
}

# Softirq time of all CPUs so far, in USER_HZ ticks.
softirq() { awk '$1 == "cpu" { print $8 }' /proc/stat; }

# UDP datagrams to a closed port so far in the receiving namespace (in:
# the host's, out: the pair's own).
noports() { # DIR
	if [ "$1" = in ]; then
		cat /proc/net/snmp
	else
		ip netns exec "$ns" cat /proc/net/snmp
	fi | awk '$1 == "Udp:" && $2 !~ /^[0-9]/ { for (i = 2; i <= NF; i++) if ($i == "NoPorts") c = i }
		$1 == "Udp:" && $2 ~ /^[0-9]/ { print $c }'
}

# One measurement: TEST tcp|small, DIR in (into the host) | out; prints
# Gbit/s for tcp; for small, Mpps received and the softirq CPU (percent
# of one CPU) meanwhile.
measure() { # TEST DIR
	local args n0 n1 s0 s1 t0 t1
	if [ "$1" = tcp ]; then
		args="-c 198.18.91.1 -t $secs -J"
		[ "$2" = in ] || args="$args -R"
		# shellcheck disable=SC2086 # a list of options
		ip netns exec "$ns" iperf3 $args >"$tmp/out.json" 2>/dev/null || { echo 0; return 0; }
		jq '.end.sum_received.bits_per_second / 1e9' "$tmp/out.json"
		return 0
	fi
	n0=$(noports "$2") s0=$(softirq) t0=$(date +%s%N)
	if [ "$2" = in ]; then
		ip netns exec "$ns" timeout "$secs" trafgen -o "$b" -q -P 1 \
			"{ eth(da=$mac_a, sa=$mac_b), ipv4(sa=198.18.91.2, da=198.18.91.1, ttl=64),
			   udp(sp=dinc(1024, 5119), dp=9, csum=0), fill(0x00, 18) }" >/dev/null 2>&1 || :
	else
		timeout "$secs" trafgen -o "$a" -q -P 1 \
			"{ eth(da=$mac_b, sa=$mac_a), ipv4(sa=198.18.91.1, da=198.18.91.2, ttl=64),
			   udp(sp=dinc(1024, 5119), dp=9, csum=0), fill(0x00, 18) }" >/dev/null 2>&1 || :
	fi
	n1=$(noports "$2") s1=$(softirq) t1=$(date +%s%N)
	echo "$n0 $n1 $s0 $s1 $t0 $t1 $(getconf CLK_TCK)" |
		awk '{ t = ($6 - $5) / 1e9; printf "%.4f %.1f\n", ($2 - $1) / t / 1e6, ($4 - $3) / $7 / t * 100 }'
}

configs=${BENCH_CONFIGS:-none empty-native empty-generic empty-tc xdpkit-native xdpkit-generic xdpkit-auto xdpkit-dns xdpkit-capsel xdpkit-capture tcpdump}
tests="tcp:in tcp:out small:in small:out"
echo "xdpkit bench-traffic: iperf3 over a veth pair, $rounds interleaved rounds of $secs s"
echo "kernel $(uname -r); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	for c in $configs; do
		config "$c" on
		for t in $tests; do
			measure "${t%:*}" "${t#*:}" >"$tmp/one"
			cut -d' ' -f1 "$tmp/one" >>"$tmp/s.$c.${t%:*}.${t#*:}"
			[ "${t%:*}" = tcp ] || cut -d' ' -f2 "$tmp/one" >>"$tmp/cpu.$c.${t#*:}"
		done
		config "$c" off
	done
done

stat() { xkb_stat "$1" 3; }
# One cell: the median (spread) of FILE, and a figure of that median ($1)
# and REF's median ($2) by the awk printf arguments ARGS.
cell() { # FILE REF FORMAT ARGS
	local m
	m=$(stat "$2" | cut -d' ' -f1)
	# shellcheck disable=SC2046 # two numbers
	set -- "$3" "$4" "$m" $(stat "$1")
	# shellcheck disable=SC2059 # the format is the caller's
	printf "$1" "$4" "$5" "$(echo "$4 $3" | awk "{ printf $2 }")"
}

echo
echo "medians (spread), and the ratio to nothing attached; TCP in Gbit/s, 64-byte UDP in Mpps received"
printf '%-16s %22s %22s %22s %22s\n' attached "TCP into host" "TCP out of host" "small into host" "small out of host"
for c in $configs; do
	line=$(printf '%-16s' "$c")
	for t in $tests; do
		# shellcheck disable=SC2016 # awk's fields, not the shell's
		line="$line $(cell "$tmp/s.$c.${t%:*}.${t#*:}" "$tmp/s.none.${t%:*}.${t#*:}" \
			'%8s (%5s) %5s' '"%.2f", ($2 > 0 ? $1 / $2 : 0)')"
	done
	printf '%s\n' "$line"
done
echo
echo "softirq CPU while sending small packets, percent of one CPU (all CPUs summed): median (spread),"
echo "and nanoseconds of softirq per packet received"
printf '%-16s %26s %26s\n' attached "small into host" "small out of host"
for c in $configs; do
	line=$(printf '%-16s' "$c")
	for d in in out; do
		# shellcheck disable=SC2016 # awk's fields, not the shell's
		line="$line $(cell "$tmp/cpu.$c.$d" "$tmp/s.$c.small.$d" \
			'%9s (%5s) %7s ns' '"%.0f", ($2 > 0 ? $1 / 100 / ($2 * 1e6) * 1e9 : 0)')"
	done
	printf '%s\n' "$line"
done
echo "(xdpkit-auto is what xdp-attach picks on a veth: tc on ingress; egress is tc in every xdpkit row;"
echo " 'into host' is the host side's ingress)"
