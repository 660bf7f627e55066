# tests/bench-lib.sh - what the traffic benchmarks share (bench-traffic.sh,
# bench-conntrack.sh): their settings, a veth pair to a namespace of their
# own, and the median and spread of a series. Sourced after lib/xdpkit.sh.

# BENCH_ROUNDS (default $1) and BENCH_SECONDS (default 3) into rounds and
# secs, each a whole number, at least 1.
xkb_settings() { # DEFAULT-ROUNDS
	rounds=${BENCH_ROUNDS:-$1}
	secs=${BENCH_SECONDS:-3}
	xk_check_uint BENCH_ROUNDS "$rounds"
	xk_check_uint BENCH_SECONDS "$secs"
	if [ "$rounds" -lt 1 ] || [ "$secs" -lt 1 ]; then
		xk_usage "BENCH_ROUNDS and BENCH_SECONDS: at least 1"
	fi
}

# The network namespace NS with B in it, paired with A here: A has
# NET.1/24, B NET.2/24, all up (lo in NS too).
xkb_pair() { # NS A B NET
	ip netns add "$1"
	ip link add "$2" type veth peer name "$3" netns "$1"
	ip addr add "$4.1/24" dev "$2"
	ip -n "$1" addr add "$4.2/24" dev "$3"
	ip link set "$2" up
	ip -n "$1" link set "$3" up
	ip -n "$1" link set lo up
}

# "median spread" of the numbers in FILE, one a line, with DIGITS decimals.
xkb_stat() { # FILE DIGITS
	sort -g "$1" | awk -v d="$2" '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.*f %.*f\n", d, m, d, a[NR] - a[1] }'
}
