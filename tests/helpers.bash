# tests/helpers.bash - loaded by every .bats file: unique names, a private
# bpffs root per test, a veth pair with one end in a namespace of its own,
# and a teardown that removes all of it even when the test failed.

XK_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PATH=$XK_TOP/bin:$PATH

# bpffs must be mounted for anything to pin; CI machines may not have it.
xk_mount_bpffs() {
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		mount -t bpf bpf /sys/fs/bpf
	fi
}

# Names for this test: NS (namespace), A (our end, root namespace), B (peer,
# in NS). Interface names stay within 15 characters.
xk_names() {
	XK_ID=$(printf '%04x%04x' "$RANDOM" "$$" | cut -c1-7)
	NS=xkns$XK_ID
	A=xk${XK_ID}a
	B=xk${XK_ID}b
	export XDPKIT_BPFFS=/sys/fs/bpf/xktest-$XK_ID
	export XDPKIT_RUNDIR=$BATS_TEST_TMPDIR/run
	XK_FOREIGN=/sys/fs/bpf/xkforeign-$XK_ID
}

# A veth pair with nothing else on the wire: IPv6 off (no DAD, no RS), no
# addresses (no ARP). Frames a test sends are the only frames.
xk_veth() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	xk_veth_pair
}

# The pair alone (again, after a test deleted it).
xk_veth_pair() {
	ip link add "$A" type veth peer name "$B" netns "$NS"
	sysctl -qw "net.ipv6.conf.$A.disable_ipv6=1"
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=1"
	ip link set "$A" up
	ip -n "$NS" link set "$B" up
}

xk_setup() {
	xk_mount_bpffs
	xk_names
	xk_veth
}

xk_teardown() {
	ip link del "$A" 2>/dev/null || :
	ip netns del "$NS" 2>/dev/null || :
	rm -rf "$XDPKIT_BPFFS" "$XK_FOREIGN"
}

# The inode of our network namespace, and the pin directory of an
# interface in it (lib/pins.sh).
xk_nsid() { stat -L -c %i /proc/self/ns/net; }
xk_pins() { printf '%s/net/%s/%s\n' "$XDPKIT_BPFFS" "$(xk_nsid)" "$(printf '%s' "$1" | tr . :)"; }

# Frames into A (from B) and out of A.
xk_send_in() { ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" "$@"; }
xk_send_out() { python3 "$XK_TOP/tests/sendframes.py" "$A" "$@"; }

# A counter of IFACE: xk_count IFACE DIR FIELD
xk_count() {
	xdp-stats "$1" --json | jq -r --arg d "$2" "select(.type == \"global\" and .dir == \$d) | .$3"
}

# Wait (at most 5 s) until a counter reaches a value, then print it.
xk_wait_count() { # IFACE DIR FIELD VALUE
	local i v
	for i in $(seq 50); do
		v=$(xk_count "$1" "$2" "$3")
		[ "$v" = "$4" ] && break
		sleep 0.1
	done
	echo "$v"
}

# Run as an unprivileged user.
xk_as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# Somebody else's programs, loaded with bpftool into the test's pin root
# (iproute2's own loader would leave its global pin directories behind).
# xk_foreign_xdp -> the pin of an XDP program that returns XDP_PASS;
# xk_foreign_tc -> the pin of a tc program.
xk_foreign_xdp() {
	local pin=$XK_FOREIGN/xdp
	[ -e "$pin" ] || { mkdir -p "$XK_FOREIGN" &&
		bpftool prog load "$XK_TOP/build/pass.bpf.o" "$pin" type xdp; }
	echo "$pin"
}
xk_foreign_tc() {
	local d=$XK_FOREIGN/tc
	[ -e "$d/xdpkit_egress" ] || { mkdir -p "$XK_FOREIGN" &&
		bpftool prog loadall "$XK_TOP/build/xdpkit.bpf.o" "$d" pinmaps "$d-maps"; }
	echo "$d/xdpkit_egress"
}

# Addresses on both ends: 198.18.77.1/24 (A) and .2 (B), and with "6"
# fd00:db8:77::1/64 and ::2, with static neighbours (no ARP, no ND). GRO off
# on A: XDP counts frames before GRO, tcpdump sees them after.
xk_addrs() {
	ip addr add 198.18.77.1/24 dev "$A"
	ip -n "$NS" addr add 198.18.77.2/24 dev "$B"
	# tcpdump counts packets as the stack holds them (a GSO packet is one),
	# xdpkit the frames on the wire: the tests that compare the two send
	# frames. Those of the offloads at their defaults turn them back on.
	ethtool -K "$A" gro off 2>/dev/null || :
	ip netns exec "$NS" ethtool -K "$B" tso off gso off 2>/dev/null || :
	if [ "${1:-}" = 6 ]; then
		sysctl -qw "net.ipv6.conf.$A.disable_ipv6=0" "net.ipv6.conf.$A.accept_ra=0" \
			"net.ipv6.conf.$A.router_solicitations=0"
		ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=0" \
			"net.ipv6.conf.$B.accept_ra=0" "net.ipv6.conf.$B.router_solicitations=0"
		ip addr add fd00:db8:77::1/64 dev "$A" nodad
		ip -n "$NS" addr add fd00:db8:77::2/64 dev "$B" nodad
	fi
	local amac bmac
	amac=$(cat "/sys/class/net/$A/address")
	bmac=$(ip -n "$NS" -j link show dev "$B" | jq -r .[0].address)
	ip neigh replace 198.18.77.2 lladdr "$bmac" dev "$A" nud permanent
	ip -n "$NS" neigh replace 198.18.77.1 lladdr "$amac" dev "$B" nud permanent
	if [ "${1:-}" = 6 ]; then
		ip neigh replace fd00:db8:77::2 lladdr "$bmac" dev "$A" nud permanent
		ip -n "$NS" neigh replace fd00:db8:77::1 lladdr "$amac" dev "$B" nud permanent
	fi
}

# Capture A's traffic by direction into $BATS_TEST_TMPDIR/{in,out}.pcap.
xk_tcpdump_start() {
	local d i
	for d in in out; do
		tcpdump -i "$A" -Q "$d" -Z root --immediate-mode -U -s 128 -w "$BATS_TEST_TMPDIR/$d.pcap" \
			2>"$BATS_TEST_TMPDIR/$d.log" 3>&- &
		echo $! >"$BATS_TEST_TMPDIR/$d.pid"
	done
	for d in in out; do
		for i in $(seq 50); do
			grep -q 'listening on' "$BATS_TEST_TMPDIR/$d.log" && break
			sleep 0.1
		done
	done
}

xk_tcpdump_stop() {
	local d
	sleep 0.3 # the last frames reach the capture
	for d in in out; do
		kill -INT "$(cat "$BATS_TEST_TMPDIR/$d.pid")" 2>/dev/null || :
		wait "$(cat "$BATS_TEST_TMPDIR/$d.pid")" 2>/dev/null || :
	done
}

# Flows of the test's own addresses, as the comparison sees them.
XK_FLOW_VIEW='select(.type == "flow" or .type == null)
	| select((.src + .dst) | test("198\\.18\\.(77|9)\\.|fd00:db8:(77)?:"))
	| {dir, proto, src, dst, sport, dport, packets, bytes}'

xk_flows_seen() { xdp-stats "$A" --json | jq -c "$XK_FLOW_VIEW" | sort; }
xk_flows_captured() {
	python3 "$XK_TOP/tests/pcapflows.py" "ingress=$BATS_TEST_TMPDIR/in.pcap" \
		"egress=$BATS_TEST_TMPDIR/out.pcap" | jq -c "$XK_FLOW_VIEW" | sort
}

xk_craft_in() { ip netns exec "$NS" python3 "$XK_TOP/tests/craft.py" "$B" "$@"; }
xk_craft_out() { python3 "$XK_TOP/tests/craft.py" "$A" "$@"; }

# One global counter of A: xk_g DIR FIELD
xk_g() {
	xdp-stats "$A" --json | jq -r --arg d "$1" "select(.type == \"global\" and .dir == \$d) | .$2"
}

# An HTTP server in the namespace: xk_http_server PORT BIND SIZE serves a
# file of SIZE bytes at /file; its pid in SRV_PID (the test's teardown kills it).
xk_http_server() {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	head -c "$3" /dev/urandom >"$BATS_TEST_TMPDIR/www/file"
	ip netns exec "$NS" python3 -m http.server "$1" --bind "$2" \
		--directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 3>&- &
	SRV_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$NS" ss -ltn | grep -q ":$1 " && return 0
		sleep 0.1
	done
	return 1
}

# Wait (at most 20 s: attaching on a loaded machine) until a reader of
# IFACE is armed: the deadline in its settings map is ahead of the clock.
xk_reader_armed() { # IFACE MAP
	local i
	for i in $(seq 200); do
		[ "$("$XK_TOP/build/xk-dump" "$(xk_pins "$1")/$2" 2>/dev/null |
			jq -r '.deadline != null and .deadline > now')" = true ] && return 0
		sleep 0.1
	done
	echo "$2 on $1 not armed"
	return 1
}
xk_capture_armed() { xk_reader_armed "$1" capture; } # xdp-capture
xk_dns_armed() { xk_reader_armed "$1" dns; }         # xdp-dns

# A TCP port of 127.0.0.1 nothing listens on (for a server a test starts).
xk_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Run a command in cgroup CG: xk_in_cg CG COMMAND...
xk_in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"; }

# Wait (at most 20 s) until an xdp-conntrack of the test's pin root is
# armed: its deadline is ahead of the clock.
xk_ct_armed() {
	local d
	for _ in $(seq 200); do
		for d in "$XDPKIT_BPFFS"/cgroup/*; do
			[ "$("$XK_TOP/build/xk-dump" "$d/conntrack" 2>/dev/null |
				jq -r '.deadline != null and .deadline > now')" = true ] && return 0
		done
		sleep 0.1
	done
	echo "xdp-conntrack not armed"
	return 1
}
