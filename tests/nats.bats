#!/usr/bin/env bats
# Events to NATS JetStream: a real nats-server -js on 127.0.0.1, started by
# each test on a free port with its own store. N events drained are N
# messages in the stream, in order; a server killed and restarted mid-run
# loses none; a stalled server makes the loss counted and reported; a
# resend after a timeout is dropped by the server as a duplicate.

load helpers

setup() {
	xk_setup
	NATS_PID="" PIDS="" CG=""
}

teardown() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	[ -z "$NATS_PID" ] || { kill -CONT "$NATS_PID" 2>/dev/null; kill "$NATS_PID" 2>/dev/null; wait "$NATS_PID" 2>/dev/null; } || :
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || :; done
		for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	fi
	xk_teardown
}

nats_start() {
	[ -n "${NATS_PORT:-}" ] || NATS_PORT=$(xk_free_port)
	NATS=nats://127.0.0.1:$NATS_PORT
	nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$BATS_TEST_TMPDIR/store" \
		>>"$BATS_TEST_TMPDIR/nats.log" 2>&1 3>&- &
	NATS_PID=$!
	for _ in $(seq 100); do
		ss -ltnH "sport = :$NATS_PORT" | grep -q . && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/nats.log"
	return 1
}

# The messages of stream $2 (default XDPKIT), all or on subject $1, one a line.
stream() { "$XK_TOP/build/xk-drain" --nats "$NATS" --read --stream "${2:-XDPKIT}" --subject "${1:-xdpkit.>}" 2>/dev/null; }

# A capture of N packets of A published to the test's server, in the
# background (its pid in $pid, its end line in cap.err), once it is armed.
capture_bg() { # N
	nats_start
	xdp-attach "$A" stats
	xdp-capture "$A" --count "$1" --nats "$NATS" 2>"$BATS_TEST_TMPDIR/cap.err" 3>&- &
	pid=$!
	xk_capture_armed "$A"
}

# xk-drain --stdin ARG... publishing what is written to fd 4, connected,
# then the server stalled (SIGSTOP); its pid in $pid, its end line in err.
stalled_drain() { # ARG...
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test "$@" <"$BATS_TEST_TMPDIR/in" \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	sleep 1 # connected
	kill -STOP "$NATS_PID"
}

# This host's name as a subject token.
host_token() { uname -n | sed 's/[^A-Za-z0-9_-]/_/g'; }

@test "xdp-capture --nats: N packets drained are N messages in the stream, in order, on PREFIX.HOST.IFACE.packet" {
	capture_bg 40
	# 40 frames of 60, 61, ... 99 bytes, in that order
	ip netns exec "$NS" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for n in range(60, 100):
    s.send(b"\xff" * 6 + b"\x02" * 6 + b"\x88\xb5" + b"x" * (n - 14))' "$B"
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/cap.err"
	grep -q ': 40 events, 0 lost (ring buffer full); NATS: 40 published, 40 acknowledged (0 duplicates), 0 resent, 0 lost' "$BATS_TEST_TMPDIR/cap.err"
	[ "$(stream | jq -c .len | tr '\n' ' ')" = "$(seq 60 99 | tr '\n' ' ')" ]
	[ "$(stream "xdpkit.$(host_token).$A.packet" | wc -l)" = 40 ]
	[ "$(stream | jq -r '[.type, .iface, .dir] | join(" ")' | sort -u)" = "packet $A ingress" ]
	# nothing on stdout: the events went to NATS
	xdp-capture "$A" --count 1 --nats "$NATS" >"$BATS_TEST_TMPDIR/out" 2>/dev/null 3>&- &
	pid=$!
	xk_capture_armed "$A"
	xk_send_in 1 100
	wait "$pid"
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ "$(stream | wc -l)" = 41 ]
}

@test "the server killed (SIGKILL) and restarted mid-run: every event in the stream once, in order, none lost" {
	capture_bg 300
	xk_send_in 100 101
	sleep 0.5
	kill -9 "$NATS_PID"
	wait "$NATS_PID" 2>/dev/null || :
	# while it is down: buffered by the client
	xk_send_in 100 102
	sleep 1
	nats_start
	xk_send_in 100 103
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/cap.err"
	grep -q ': 300 events, 0 lost (ring buffer full); NATS: 300 published, 300 acknowledged' "$BATS_TEST_TMPDIR/cap.err"
	grep -q ', 0 lost (0 over the bound, 0 refused, 0 unacknowledged)$' "$BATS_TEST_TMPDIR/cap.err"
	[ "$(stream | jq -c .len | uniq -c | awk '{ print $1 "x" $2 }' | tr '\n' ' ')" = "100x101 100x102 100x103 " ]
	# each event once: no two messages with one timestamp
	[ "$(stream | jq -r .ts | sort -u | wc -l)" = 300 ]
}

@test "a stalled server (SIGSTOP): what waits is bounded in bytes, and every loss is counted and reported" {
	nats_start
	# the stream exists before the stall
	stalled_drain --max-unacked 4096
	for i in $(seq 1 100); do printf '{"n":%d,"pad":"%090d"}\n' "$i" 0; done >&4
	exec 4>&-
	st=0
	wait "$pid" || st=$?
	kill -CONT "$NATS_PID"
	output=$(cat "$BATS_TEST_TMPDIR/err")
	echo "$output"
	[ "$st" -eq 1 ]
	# 100 lines of 107 bytes: 38 fit in 4096 bytes, the other 62 are over
	# the bound; the 38 were never acknowledged (10 s wait at the end)
	[[ "$output" == *": 38 published, 0 acknowledged (0 duplicates), "*", 100 lost (62 over the bound, 0 refused, 38 unacknowledged)" ]]
}

@test "a resend after an acknowledgement timeout is dropped by the server as a duplicate: each message once in the stream" {
	nats_start
	echo '{"n":0}' | "$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test --quiet
	stalled_drain
	for i in $(seq 1 10); do printf '{"n":%d}\n' "$i" >&4; done
	# past the 5 s acknowledgement wait: the client sends them again
	sleep 7
	kill -CONT "$NATS_PID"
	sleep 1
	exec 4>&-
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/err"
	grep -q ': 10 published, 10 acknowledged (10 duplicates), 10 resent, 0 lost' "$BATS_TEST_TMPDIR/err"
	[ "$(stream "xdpkit.$(host_token).host.test" | jq -c .n | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 10 " ]
}

@test "xdp-dns, xdp-conntrack and xdp-snapshot --nats: their lines in the stream, on their subjects" {
	nats_start
	xdp-attach "$A" stats dns
	xdp-dns "$A" --count 3 --nats "$NATS" --subject fleet.a 2>/dev/null 3>&- &
	pid=$!
	xk_dns_armed "$A"
	xk_craft_in dns_q 3
	wait "$pid"
	run xdp-snapshot "$A" --dir "$BATS_TEST_TMPDIR/snap" --nats "$NATS" --subject fleet.a
	[ "$status" -eq 0 ]
	file=${lines[0]}
	grep -q '^xdp-snapshot: NATS: [0-9]* published' <<<"$output"
	# a connection tracked in a cgroup of the test's
	CG=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)/xktest-$XK_ID
	mkdir "$CG"
	ip addr add 198.18.79.1/24 dev "$A"
	ip -n "$NS" addr add 198.18.79.2/24 dev "$B"
	xk_http_server 8080 198.18.79.2 1000
	PIDS="$PIDS $SRV_PID"
	xdp-conntrack --cgroup "$CG" --count 1 --nats "$NATS" --subject fleet.a 2>/dev/null 3>&- &
	pid=$!
	xk_ct_armed
	xk_in_cg "$CG" curl -s -o /dev/null http://198.18.79.2:8080/file
	wait "$pid"
	h=$(host_token)
	[ "$(stream "fleet.a.$h.$A.dns" FLEET_A | jq -r '[.type, .qr, .qname] | join(" ")' | sort -u)" = "dns query www.example.test." ]
	[ "$(stream "fleet.a.$h.$A.dns" FLEET_A | wc -l)" = 3 ]
	# the snapshot: its lines, as in the file
	[ "$(stream "fleet.a.$h.all.snapshot" FLEET_A)" = "$(cat "$file")" ]
	# the connection's close, with its cgroup's last directory in the subject
	[ "$(stream "fleet.a.$h.xktest-$XK_ID.tcp" FLEET_A | jq -r '[.type, .event, .dport] | join(" ")')" = "tcp close 8080" ]
}

@test "--nats: bad URLs and subjects refused (exit 2); an unreachable server is an error (exit 1) that attaches nothing" {
	for c in "xdp-capture $A" "xdp-dns $A" "xdp-conntrack" "xdp-snapshot $A"; do
		for bad in "--nats" "--nats nats://a\$b" "--subject x" "--nats nats://127.0.0.1:1 --subject a..b" \
			"--nats nats://127.0.0.1:1 --subject .a" "--nats http://127.0.0.1:1"; do
			# shellcheck disable=SC2086 # the words of each case
			run $c $bad
			[ "$status" -eq 2 ] || { echo "$c $bad: $status $output"; false; }
		done
	done
	run xdp-capture "$A" --pcapng "$BATS_TEST_TMPDIR/x.pcapng" --nats nats://127.0.0.1:1
	[ "$status" -eq 2 ]
	for c in "xdp-capture $A" "xdp-dns $A" "xdp-conntrack"; do
		# shellcheck disable=SC2086 # the words of each case
		run $c --json --nats nats://127.0.0.1:1
		[ "$status" -eq 2 ]
		grep -q 'instead of printing them: not with --json' <<<"$output"
	done
	port=$(xk_free_port)
	run xdp-capture "$A" --count 1 --nats "nats://127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "NATS: nats://127.0.0.1:$port: No server available" <<<"$output"
	[ ! -e "$(xk_pins "$A")" ]
}

@test "a run that publishes nothing ends cleanly (libnats crashed there); another prefix gets a stream of its own" {
	nats_start
	run "$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "xk-drain: 0 published, 0 acknowledged (0 duplicates), 0 resent, 0 lost (0 over the bound, 0 refused, 0 unacknowledged)" ]
	xdp-attach "$A" stats
	run xdp-capture "$A" --duration 1 --nats "$NATS"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *": 0 events, 0 lost (ring buffer full); NATS: 0 published, "* ]]
	# the default prefix's stream, then another prefix's: both work
	echo '{"n":1}' | "$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test --quiet
	echo '{"n":2}' | "$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test --subject fleet.a --quiet
	[ "$("$XK_TOP/build/xk-drain" --nats "$NATS" --read --stream FLEET_A --subject 'fleet.a.>')" = '{"n":2}' ]
	run "$XK_TOP/build/xk-drain" --nats "$NATS" --read --stream NOSUCH
	[ "$status" -eq 1 ]
	[ "$output" = "xk-drain: NATS: no stream NOSUCH" ]
}

@test "xk-drain --nats under valgrind: no leak, no error (publish and read back)" {
	nats_start
	run valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--suppressions="$XK_TOP/tests/valgrind.supp" \
		"$XK_TOP/build/xk-drain" --nats "$NATS" --stdin --type test < <(seq 1 50 | sed 's/.*/{"n":&}/')
	echo "$output"
	[ "$status" -eq 0 ]
	run valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--suppressions="$XK_TOP/tests/valgrind.supp" \
		"$XK_TOP/build/xk-drain" --nats "$NATS" --read --subject 'xdpkit.>'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 50 ]
}
