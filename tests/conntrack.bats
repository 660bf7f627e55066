#!/usr/bin/env bats
# The connection tracker (sockops on a cgroup) and xdp-conntrack against a
# real HTTP server and curl, both in the test's own cgroup, across two
# network namespaces: payload bytes equal to what curl sent and received,
# durations within curl's, refused connects, retransmits, the live table,
# and nothing left after a transient run, Ctrl-C or SIGKILL.

load helpers

setup() {
	xk_setup
	SRV_PID="" CT_PID=""
	CG_ROOT=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
	CG=$CG_ROOT/xktest-$XK_ID
	mkdir "$CG"
	ip addr add 198.18.21.1/24 dev "$A"
	ip -n "$NS" addr add 198.18.21.2/24 dev "$B"
	sysctl -qw "net.ipv6.conf.$A.disable_ipv6=0"
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=0"
	ip addr add fd00:21::1/64 dev "$A" nodad
	ip -n "$NS" addr add fd00:21::2/64 dev "$B" nodad
}

teardown() {
	local p
	for p in "$CT_PID" "$SRV_PID"; do
		[ -z "$p" ] || kill -9 "$p" 2>/dev/null || :
	done
	pkill -9 -f "xk-drain .*$XDPKIT_BPFFS" 2>/dev/null || :
	ip link set dev "$A" xdp off 2>/dev/null || :
	xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || :; done
	for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	xk_teardown
}

# Run a command in the test's cgroup.
in_cg() { xk_in_cg "$CG" "$@"; }

# The HTTP server in the namespace, in the cgroup; files of SIZE... bytes
# as www/SIZE.
server() { # SIZE...
	local s
	mkdir -p "$BATS_TEST_TMPDIR/www"
	for s in "$@"; do head -c "$s" /dev/urandom >"$BATS_TEST_TMPDIR/www/$s"; done
	in_cg nsenter --net="/run/netns/$NS" python3 -m http.server 8080 --bind :: \
		--directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 3>&- &
	SRV_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$NS" ss -ltn | grep -q ':8080 ' && return 0
		sleep 0.1
	done
	return 1
}

# The HTTP server here, a file of SIZE bytes, for a client in the
# namespace whose receive buffer is kept small (at most 256 KiB): a slow
# reader leaves the server's data in flight, whatever this host's buffers.
slow_server() { # SIZE
	mkdir -p "$BATS_TEST_TMPDIR/www"
	head -c "$1" /dev/urandom >"$BATS_TEST_TMPDIR/www/$1"
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rmem="4096 65536 262144"
	in_cg python3 -m http.server 8080 --bind 198.18.21.1 \
		--directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 3>&- &
	SRV_PID=$!
	for _ in $(seq 50); do
		ss -ltn | grep -q '198.18.21.1:8080 ' && return 0
		sleep 0.1
	done
	return 1
}

# End the curls of the test's cgroup (a client in the background: its
# connection closes, counted; $! is only the shell around it).
kill_curl() {
	local p
	for p in $(cat "$CG/cgroup.procs"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" != curl ] || kill "$p" 2>/dev/null || :
	done
}

# curl in the namespace and the cgroup, at 2 MB/s, from slow_server.
slow_get() { # SIZE
	in_cg nsenter --net="/run/netns/$NS" curl -sS -o /dev/null --limit-rate 2M \
		-w '%{size_request} %{size_header} %{size_download}' "http://198.18.21.1:8080/$1"
}

# curl in the cgroup: "request header download us" on stdout, us the
# microseconds from before curl started to after it ended (its connection
# is closed inside them; curl's own time_total ends before the close).
get() { # URL [CURL OPTION...]
	local u=$1 t0 t1 sizes
	shift
	t0=$(date +%s%N)
	sizes=$(in_cg curl -sS -o /dev/null "$@" -w '%{size_request} %{size_header} %{size_download}' "$u")
	t1=$(date +%s%N)
	echo "$sizes $(((t1 - t0) / 1000))"
}

# Wait until xdp-conntrack's deadline is ahead of the clock (armed).
armed() { xk_ct_armed; }

stats() { "$XK_TOP/build/xk-dump" "$XDPKIT_BPFFS"/cgroup/*/ct_stats; }

@test "conntrack: close events carry curl's payload bytes exactly, IPv4 and IPv6, both ends" {
	server 0 1000 100000 2000000
	xdp-attach --cgroup "$CG" conntrack
	xdp-conntrack --cgroup "$CG" --json --count 16 >"$BATS_TEST_TMPDIR/ev" 2>"$BATS_TEST_TMPDIR/err" &
	CT_PID=$!
	armed
	: >"$BATS_TEST_TMPDIR/curl"
	for u in http://198.18.21.2:8080 'http://[fd00:21::2]:8080'; do
		for s in 0 1000 100000 2000000; do
			echo "$u $(get "$u/$s")" >>"$BATS_TEST_TMPDIR/curl"
		done
	done
	wait "$CT_PID"
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/curl" "$BATS_TEST_TMPDIR/ev"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ev")" -eq 16 ]
	# every curl: one active close with its bytes, one passive close mirrored
	while read -r u req hdr dl us; do
		case $u in *\[*) fam=6 dst=fd00:21::2 ;; *) fam=4 dst=198.18.21.2 ;; esac
		a=$(jq -c --arg d "$dst" --argjson r "$req" --argjson b "$((hdr + dl))" \
			'select(.event == "close" and .role == "active" and .dst == $d and .dport == 8080
			        and .bytes_sent == $r and .bytes_received == $b)' "$BATS_TEST_TMPDIR/ev")
		[ "$(printf '%s\n' "$a" | grep -c .)" -eq 1 ]
		[ "$(printf '%s' "$a" | jq -r '"\(.family) \(.comm) \(.cgroup)"')" = "$fam curl $(cd "$CG" && pwd -P)" ]
		[ "$(printf '%s' "$a" | jq '.duration_us > 0 and .duration_us <= '"$us"' and .pid > 0')" = true ]
		sport=$(printf '%s' "$a" | jq .sport)
		p=$(jq -c --argjson s "$sport" --argjson r "$req" --argjson b "$((hdr + dl))" \
			'select(.event == "close" and .role == "passive" and .dport == $s and .sport == 8080
			        and .bytes_received == $r and .bytes_sent == $b and .pid == null and .comm == null)' "$BATS_TEST_TMPDIR/ev")
		[ "$(printf '%s\n' "$p" | grep -c .)" -eq 1 ]
	done <"$BATS_TEST_TMPDIR/curl"
	[ "$(stats | jq -c '[.connects, .active, .passive, .closed, .events, .lost]')" = "[8,8,8,16,16,0]" ]
	[ "$(stats | jq '[.duration[]] | add')" -eq 16 ]
}

@test "conntrack: a refused connect is a failed event; counters by reason" {
	xdp-attach --cgroup "$CG" conntrack
	xdp-conntrack --cgroup "$CG" --json --count 1 >"$BATS_TEST_TMPDIR/ev" &
	CT_PID=$!
	armed
	run in_cg curl -sS -o /dev/null http://198.18.21.2:8081/
	[ "$status" -eq 7 ]
	wait "$CT_PID"
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/ev"
	[ "$(jq -c '[.event, .role, .reason, .error, .dport, .dst, .comm]' "$BATS_TEST_TMPDIR/ev")" = \
		'["failed","active","refused",111,8081,"198.18.21.2","curl"]' ]
	[ "$(stats | jq -c '[.connects, .active, .failed_refused, .closed]')" = "[1,0,1,0]" ]
}

@test "conntrack: retransmits while the peer drops everything for a moment" {
	make -s -C "$XK_TOP" test-objs >/dev/null
	slow_server 4000000
	xdp-attach --cgroup "$CG" conntrack
	xdp-conntrack --cgroup "$CG" --json --count 2 >"$BATS_TEST_TMPDIR/ev" &
	CT_PID=$!
	armed
	slow_get 4000000 >"$BATS_TEST_TMPDIR/curl" &
	c=$!
	sleep 0.5
	# frames to the client dropped for 0.6 s while the server sends: it
	# retransmits. Loaded by bpftool into the test's pins (ip's own loader
	# would leave its /sys/fs/bpf/{tc,ip,xdp} behind on the host)
	[ -e /sys/fs/bpf/tc ] && had_tc=1 || had_tc=0
	mkdir -p "$XDPKIT_BPFFS"
	bpftool prog load "$XK_TOP/build/test/drop.bpf.o" "$XDPKIT_BPFFS/drop" type xdp
	nsenter --net="/run/netns/$NS" ip link set dev "$B" xdp pinned "$XDPKIT_BPFFS/drop"
	sleep 0.6
	ip -n "$NS" link set dev "$B" xdp off
	rm -f "$XDPKIT_BPFFS/drop"
	[ "$had_tc" = 1 ] || [ ! -e /sys/fs/bpf/tc ]
	wait "$c"
	wait "$CT_PID"
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/curl" "$BATS_TEST_TMPDIR/ev"
	[ "$(cut -d' ' -f3 "$BATS_TEST_TMPDIR/curl")" -eq 4000000 ]
	[ "$(jq -r 'select(.role == "passive") | .retransmits >= 1' "$BATS_TEST_TMPDIR/ev")" = true ]
	r=$(jq -s 'map(.retransmits) | add' "$BATS_TEST_TMPDIR/ev")
	# the counter: one per retransmitted segment, the sockets' total
	[ "$(stats | jq .retransmits)" -eq "$r" ]
}

@test "conntrack: --live lists an open connection with its tuple" {
	slow_server 40000000
	xdp-attach --cgroup "$CG" conntrack
	slow_get 40000000 >/dev/null &
	c=$!
	for _ in $(seq 50); do
		sport=$(ip netns exec "$NS" ss -tn state established dst 198.18.21.1 |
			awk 'NR > 1 { n = split($3, a, ":"); print a[n]; exit }')
		[ -z "$sport" ] || break
		sleep 0.1
	done
	run xdp-conntrack --cgroup "$CG" --live --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c --argjson s "$sport" 'select(.role == "active")
	      | [.type, .src, .sport == $s, .dst, .dport, .state, .comm]')" = \
		"[\"conn\",\"198.18.21.2\",true,\"198.18.21.1\",8080,\"ESTABLISHED\",\"curl\"]" ]
	run xdp-conntrack --cgroup "$CG" --live
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == STATE*ROLE*LOCAL*REMOTE* ]]
	printf '%s\n' "$output" | grep -q "^ESTABLISHED	passive	198.18.21.1.8080	198.18.21.2.$sport	[^	]*	[0-9]*	-	-$"
	printf '%s\n' "$output" | grep -q "^ESTABLISHED	active	198.18.21.2.$sport	198.18.21.1.8080	[^	]*	[0-9]*	[0-9]*	curl$"
	kill_curl
	wait "$c" || :
}

@test "conntrack: a transient run attaches for itself and removes everything at its end" {
	server 1000
	[ -z "$(bpftool cgroup show "$CG")" ]
	xdp-conntrack --cgroup "$CG" --count 2 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	CT_PID=$!
	armed
	[ "$(bpftool -j cgroup show "$CG" | jq -r '.[].name')" = xdpkit_sockops ]
	xdp-status --json | jq -s -e --arg c "$(cd "$CG" && pwd -P)" 'map(select(.scope == "cgroup" and .cgroup == $c)) | length == 1 and (.[0] | .for_reader and .conntrack.running)'
	get http://198.18.21.2:8080/1000 >/dev/null
	wait "$CT_PID"
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	grep -q ' active 198.18.21.1.[0-9]* > 198.18.21.2.8080 close sent 84 received 1202 .* pid [0-9]* curl$' "$BATS_TEST_TMPDIR/out"
	grep -q ' passive 198.18.21.2.8080 > 198.18.21.1.[0-9]* close sent 1202 received 84 ' "$BATS_TEST_TMPDIR/out"
	grep -q ': 2 events, 0 lost' "$BATS_TEST_TMPDIR/err"
	[ -z "$(bpftool cgroup show "$CG")" ]
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	[ -z "$(ls "$XDPKIT_RUNDIR" | grep -v '\.lock$')" ]
}

@test "conntrack: Ctrl-C (SIGTERM) and SIGKILL of a transient run leave nothing attached" {
	xdp-conntrack --cgroup "$CG" >/dev/null 2>&1 &
	CT_PID=$!
	armed
	kill -TERM "$CT_PID"
	wait "$CT_PID"
	CT_PID=""
	[ -z "$(bpftool cgroup show "$CG")" ]
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	xdp-conntrack --cgroup "$CG" >/dev/null 2>&1 &
	CT_PID=$!
	armed
	# SIGKILL of the command alone (its helper notices, as it would)
	kill -9 "$CT_PID"
	CT_PID=""
	# within 3 s the deadline passes: the program does nothing more
	sleep 3.5
	d=$(echo "$XDPKIT_BPFFS"/cgroup/*)
	[ -e "$d/ct_stats" ]
	n=$("$XK_TOP/build/xk-dump" "$d/ct_stats" | jq .connects)
	server 1000
	get http://198.18.21.2:8080/1000 >/dev/null
	[ "$("$XK_TOP/build/xk-dump" "$d/ct_stats" | jq .connects)" -eq "$n" ]
	# and the next xdpkit command takes it off
	xdp-status --json >/dev/null || :
	[ -z "$(bpftool cgroup show "$CG")" ]
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
}

@test "conntrack: xdp-attach --cgroup stays, xdp-status reports it, xdp-detach --cgroup removes it" {
	run xdp-attach --cgroup "$CG" conntrack
	[ "$status" -eq 0 ]
	[[ "$output" == *"conntrack attached"* ]]
	run xdp-attach --cgroup "$CG" conntrack
	[ "$status" -eq 0 ]
	[[ "$output" == *"already attached"* ]]
	[ "$(bpftool -j cgroup show "$CG" | jq length)" -eq 1 ]
	xdp-status --json | jq -s -e --arg c "$(cd "$CG" && pwd -P)" \
		'map(select(.scope == "cgroup" and .cgroup == $c)) | length == 1
		 and (.[0] | .health == "ok" and .sockops.attached and (.for_reader | not))'
	run xdp-status
	[[ "$output" == *"cgroup $(cd "$CG" && pwd -P): ok, conntrack"* ]]
	run xdp-attach --cgroup "$CG" conntrack eth0
	[ "$status" -eq 2 ]
	run xdp-attach --cgroup "/no/such/xk-$XK_ID" conntrack
	[ "$status" -eq 4 ]
	run xdp-detach --cgroup "$CG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"conntrack detached"* ]]
	[ -z "$(bpftool cgroup show "$CG")" ]
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	run xdp-conntrack --cgroup "$CG" --live
	[ "$status" -eq 7 ]
}

@test "conntrack: xdp-attach --cgroup of a rebuilt object replaces the program, keeps the counters and the live table" {
	server 1000
	slow_server 40000000
	xdp-attach --cgroup "$CG" conntrack
	old=$(bpftool -j cgroup show "$CG" | jq '.[0].id')
	get http://198.18.21.2:8080/1000 >/dev/null
	[ "$(stats | jq -c '[.connects, .closed]')" = "[1,2]" ]
	# a connection open across the upgrade
	slow_get 40000000 >/dev/null &
	c=$!
	for _ in $(seq 50); do
		[ "$("$XK_TOP/build/xk-dump" "$XDPKIT_BPFFS"/cgroup/*/conns | jq -s length)" -eq 2 ] && break
		sleep 0.1
	done
	lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$XK_TOP/build/xk-drain" "$XK_TOP/build/xdpkit.bpf.o" "$lib/"
	cp "$XK_TOP/build/test/ct_rebuilt.bpf.o" "$lib/conntrack.bpf.o"
	XDPKIT_LIBEXEC=$lib run xdp-attach --cgroup "$CG" conntrack
	[ "$status" -eq 0 ]
	[[ "$output" == *"conntrack programs replaced"* ]]
	# one program, the new one; the old one off
	[ "$(bpftool -j cgroup show "$CG" | jq length)" -eq 1 ]
	new=$(bpftool -j cgroup show "$CG" | jq '.[0].id')
	[ "$new" != "$old" ]
	[ "$(bpftool -j prog show pinned "$(echo "$XDPKIT_BPFFS"/cgroup/*)/xdpkit_sockops" | jq .id)" = "$new" ]
	[ -z "$(ls -d "$XDPKIT_BPFFS"/cgroup/*/_new 2>/dev/null)" ]
	# the counters and the open connection kept: its close is counted
	[ "$(stats | jq -c '[.connects, .closed]')" = "[2,2]" ]
	[ "$("$XK_TOP/build/xk-dump" "$XDPKIT_BPFFS"/cgroup/*/conns | jq -s length)" -eq 2 ]
	kill_curl
	wait "$c" || :
	for _ in $(seq 50); do
		[ "$(stats | jq .closed)" -eq 4 ] && break
		sleep 0.1
	done
	[ "$(stats | jq -c '[.connects, .closed, .active, .passive]')" = "[2,4,2,2]" ]
	XDPKIT_LIBEXEC=$lib run xdp-attach --cgroup "$CG" conntrack
	[[ "$output" == *"already attached"* ]]
	run xdp-status
	[[ "$output" == *"cgroup $(cd "$CG" && pwd -P): ok, conntrack"* ]]
}

@test "conntrack: xk-drain --type tcp and xk-dump of the live table under valgrind: no leaks, no errors" {
	server 1000
	slow_server 40000000
	xdp-attach --cgroup "$CG" conntrack
	d=$(echo "$XDPKIT_BPFFS"/cgroup/*)
	XK_SHARE=$XK_TOP/lib sh -c '. "$XK_SHARE/xdpkit.sh"; xk_map_write "$1/conntrack" 0 "{\"deadline\":0,\"pid\":$$,\"attached\":0,\"events\":62}"' x "$d"
	valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--suppressions="$XK_TOP/tests/valgrind.supp" \
		"$XK_TOP/build/xk-drain" --type tcp --cgroup "$CG" --stats "$d/ct_stats" --keepalive "$d/conntrack" \
		--prog "$d/xdpkit_sockops" --count 7 --duration 30 "$d/ct_events" >"$BATS_TEST_TMPDIR/ev" 2>"$BATS_TEST_TMPDIR/err" &
	CT_PID=$!
	armed
	get http://198.18.21.2:8080/1000 >/dev/null
	rc=0
	wait "$CT_PID" || rc=$?
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/ev"
	[ "$rc" -eq 0 ]
	# connect, established (both ends), FIN_WAIT1 and FIN_WAIT2 or
	# CLOSE_WAIT and LAST_ACK on the two ends..., the closes: the first 7
	[ "$(jq -s -c 'map(.event) | group_by(.) | map({(.[0]): length}) | add | [.connect, .established]' "$BATS_TEST_TMPDIR/ev")" = "[1,2]" ]
	# the live table, an open connection in it
	slow_get 40000000 >/dev/null &
	c=$!
	for _ in $(seq 50); do
		[ "$("$XK_TOP/build/xk-dump" "$d/conns" | jq -s length)" -eq 2 ] && break
		sleep 0.1
	done
	valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--suppressions="$XK_TOP/tests/valgrind.supp" \
		"$XK_TOP/build/xk-dump" --type conn "$d/conns" >"$BATS_TEST_TMPDIR/conns" 2>"$BATS_TEST_TMPDIR/vg" ||
		{ cat "$BATS_TEST_TMPDIR/vg"; false; }
	cat "$BATS_TEST_TMPDIR/conns"
	[ "$(jq -s -c 'map([.role, .comm]) | sort' "$BATS_TEST_TMPDIR/conns")" = '[["active","curl"],["passive",null]]' ]
	kill_curl
	wait "$c" || :
}

@test "conntrack from an installed copy under cron's environment: a transient run, attach, --live, status, detach" {
	prefix=$BATS_TEST_TMPDIR/prefix
	make -C "$XK_TOP" --no-print-directory -s install PREFIX="$prefix" >/dev/null
	[ -f "$prefix/lib/xdpkit/conntrack.bpf.o" ]
	server 1000
	cd /
	# cron's environment: no HOME, no TTY, PATH without sbin
	cron() {
		env -i PATH=/usr/bin:/bin SHELL=/bin/sh LOGNAME=root XDPKIT_BPFFS="$XDPKIT_BPFFS" \
			XDPKIT_RUNDIR="$XDPKIT_RUNDIR" "$@" </dev/null
	}
	cron "$prefix/bin/xdp-conntrack" --cgroup "$CG" --count 2 --json >"$BATS_TEST_TMPDIR/ev" 2>"$BATS_TEST_TMPDIR/err" &
	CT_PID=$!
	armed
	get http://198.18.21.2:8080/1000 >/dev/null
	wait "$CT_PID"
	CT_PID=""
	cat "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/ev"
	[ "$(jq -s -c 'map([.event, .role, .bytes_sent, .bytes_received]) | sort' "$BATS_TEST_TMPDIR/ev")" = \
		'[["close","active",84,1202],["close","passive",1202,84]]' ]
	[ -z "$(bpftool cgroup show "$CG")" ]
	run cron "$prefix/bin/xdp-attach" --cgroup "$CG" conntrack
	[ "$status" -eq 0 ]
	run cron "$prefix/bin/xdp-status"
	[[ "$output" == *"cgroup $(cd "$CG" && pwd -P): ok, conntrack"* ]]
	run cron "$prefix/bin/xdp-conntrack" --cgroup "$CG" --live
	[ "$status" -eq 0 ]
	[ "$output" = "no live connections" ]
	run cron "$prefix/bin/xdp-detach" --cgroup "$CG"
	[ "$status" -eq 0 ]
	[ -z "$(bpftool cgroup show "$CG")" ]
	make -C "$XK_TOP" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
	[ ! -e "$prefix" ]
}
