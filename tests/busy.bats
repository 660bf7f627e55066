#!/usr/bin/env bats
# xdp-stats on a busy interface: tens of thousands of flows, rates while
# traffic goes on, top lists, service ports that a scan or the host's own
# ephemeral ports cannot crowd out, conversations and hosts.

load helpers

setup() {
	xk_setup
	SRV_PID=""
}

teardown() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	xk_teardown
}

# 30,000 flows: more than a reading fits in a command line (was: jq
# "Argument list too long", exit 126, at about 600 lines).
flood() {
	xdp-attach "$A" stats
	xk_craft_in flood 1 30000
	[ "$(xk_wait_count "$A" ingress udp 30000)" = 30000 ]
}

@test "--json --interval on 30,000 flows: every flow with its rate, exit 0" {
	flood
	present=$(xdp-stats "$A" --json | jq -s 'map(select(.type == "flow")) | length')
	[ "$present" -gt 20000 ]
	run xdp-stats "$A" --json --interval 1
	[ "$status" -eq 0 ]
	[ "$(jq -s 'map(select(.type == "flow" and has("pps") and has("bps"))) | length' <<<"$output")" = "$present" ]
	[ "$(jq -s 'map(select(.type == "global" and .pps == 0)) | length' <<<"$output")" = 2 ]
}

@test "--watch on 30,000 flows: redraws with the top 10 flows each time" {
	flood
	xdp-stats "$A" --watch --interval 1 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c 'rates over 1 s' "$BATS_TEST_TMPDIR/out")" -ge 2 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || :
	[ "$(grep -c 'rates over 1 s' "$BATS_TEST_TMPDIR/out")" -ge 2 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# each screen: 10 flow rows under its header
	screens=$(grep -c 'rates over 1 s' "$BATS_TEST_TMPDIR/out")
	[ "$(awk '/^top 10 flows/ { f = 1; next } /^$/ { f = 0 } f && /^ingress/ { c++ } END { print c }' \
		"$BATS_TEST_TMPDIR/out")" = $((10 * screens)) ]
}

@test "the table on 30,000 flows shows the top 10 flows and 10 ports, not all of them" {
	flood
	xk_craft_in portscan 1 40
	[ "$(xk_wait_count "$A" ingress tcp 40)" = 40 ]
	run xdp-stats "$A" --interval 0
	[ "$status" -eq 0 ]
	[ "$(sed -n '/^top 10 flows/,/^$/p' <<<"$output" | grep -c '^ingress ')" = 10 ]
	[ "$(sed -n '/^top 10 service ports/,/^$/p' <<<"$output" | grep -c '^ingress ')" = 10 ]
	[ "${#lines[@]}" -lt 40 ]
	# --top N in JSON: N of each, the largest
	[ "$(xdp-stats "$A" --json --top 3 --by flows | jq -s 'map(select(.type == "flow")) | length')" = 3 ]
	[ "$(xdp-stats "$A" --json --top 1 --by ports | jq -c 'select(.type == "port") | [.port, .packets]')" = '[53,30000]' ]
}

@test "rates are over the time between the two readings, not the interval asked for" {
	xdp-attach "$A" stats
	# a helper that takes a second longer for the second reading, as a large
	# table would
	mkdir -p "$BATS_TEST_TMPDIR/lib"
	cp "$XK_TOP/build/xdpkit.bpf.o" "$BATS_TEST_TMPDIR/lib/"
	cat >"$BATS_TEST_TMPDIR/lib/xk-dump" <<-EOF
		#!/bin/sh
		case " \$* " in *" --since "*) sleep 1 ;; esac
		exec "$XK_TOP/build/xk-dump" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/lib/xk-dump"
	XDPKIT_LIBEXEC=$BATS_TEST_TMPDIR/lib xdp-stats "$A" --json --interval 1 >"$BATS_TEST_TMPDIR/rates" 3>&- &
	pid=$!
	sleep 0.5
	xk_craft_in udp4 10
	wait "$pid"
	g=$(jq -c 'select(.type == "global" and .dir == "ingress")' "$BATS_TEST_TMPDIR/rates")
	echo "$g"
	[ "$(jq '.interval >= 2 and .interval < 3' <<<"$g")" = true ]
	[ "$(jq '.pps * .interval | round' <<<"$g")" = 10 ]
	[ "$(jq '.pps < 5.1' <<<"$g")" = true ]
}

@test "--by selects the line types of --json too" {
	xdp-attach "$A" stats
	xk_craft_in udp4 2
	xk_craft_in tcp6 1
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	[ "$(xdp-stats "$A" --json --by ports | jq -r .type | sort -u | tr '\n' ' ')" = "global port " ]
	[ "$(xdp-stats "$A" --json --by flows --by sizes | jq -r .type | sort -u | tr '\n' ' ')" = "flow global size " ]
	[ "$(xdp-stats "$A" --json --by protocols | jq -r .type | sort -u | tr '\n' ' ')" = "global proto " ]
	[ "$(xdp-stats "$A" --json --by hosts | jq -r .type | sort -u | tr '\n' ' ')" = "global host " ]
	[ "$(xdp-stats "$A" --json | jq -r .type | sort -u | tr '\n' ' ')" = "flow global port proto size " ]
}

@test "service ports: a host's own connections count at the server's port, not at ephemeral ones" {
	xk_addrs 6
	xk_http_server 7025 :: 3000
	xdp-attach "$A" stats
	for i in $(seq 12); do
		curl -s -o /dev/null --interface "$A" http://198.18.77.2:7025/file
	done
	for i in 1 2 3; do
		curl -s -o /dev/null --interface "$A" 'http://[fd00:db8:77::2]:7025/file'
	done
	json=$(xdp-stats "$A" --json)
	tcp_in=$(jq 'select(.type == "global" and .dir == "ingress") | .tcp' <<<"$json")
	tcp_out=$(jq 'select(.type == "global" and .dir == "egress") | .tcp' <<<"$json")
	# every TCP packet of both directions at port 7025, and no other port
	[ "$(jq -c 'select(.type == "port") | [.dir, .proto, .port]' <<<"$json" | sort | tr '\n' ' ')" = \
		'["egress","tcp",7025] ["ingress","tcp",7025] ' ]
	[ "$(jq 'select(.type == "port" and .dir == "ingress") | .packets' <<<"$json")" = "$tcp_in" ]
	[ "$(jq 'select(.type == "port" and .dir == "egress") | .packets' <<<"$json")" = "$tcp_out" ]
	# 15 connections: 15 SYNs sent to the service, none counted for the SYN-ACKs
	[ "$(jq 'select(.type == "port" and .dir == "egress") | .syns' <<<"$json")" = 15 ]
	[ "$(jq 'select(.type == "port" and .dir == "ingress") | .syns' <<<"$json")" = 0 ]
}

@test "a port scan cannot crowd a busy service out of a full port table; evictions exact" {
	xdp-attach "$A" stats --ports 16
	xk_craft_in udp_to 50 7025
	xk_craft_in portscan 1 2000
	xk_craft_in udp_to 30 7025
	[ "$(xk_wait_count "$A" ingress packets 2080)" = 2080 ]
	json=$(xdp-stats "$A" --json)
	[ "$(jq -c 'select(.type == "port" and .port == 7025) | [.proto, .packets]' <<<"$json")" = '["udp",80]' ]
	g=$(jq -c 'select(.type == "global" and .dir == "ingress")' <<<"$json")
	present=$(jq -s 'map(select(.type == "port")) | length' <<<"$json")
	echo "$g present $present"
	[ "$(jq .port_evictions <<<"$g")" -gt 0 ]
	# created - evicted = the slots in use, counted on every CPU (a port seen
	# on two CPUs has a slot on each)
	slots=$("$XK_TOP/build/xk-dump" --count "$(xk_pins "$A")/ports" | jq .entries)
	cpus=$(tr , "\n" </sys/devices/system/cpu/possible | awk -F- "{ n += (\$2 == \"\" ? 1 : \$2 - \$1 + 1) } END { print n }")
	[ "$("$XK_TOP/build/xk-dump" --count "$(xk_pins "$A")/ports" | jq .capacity)" = $((16 * cpus)) ]
	[ "$(jq '.ports_created - .port_evictions' <<<"$g")" = "$slots" ]
	[ "$present" -le "$slots" ]
	[ "$slots" -le $((16 * $(nproc))) ]
}

@test "conversations pair both directions of a connection; hosts add up per remote address" {
	xk_addrs
	xk_http_server 7025 0.0.0.0 3000
	xdp-attach "$A" stats
	for i in 1 2 3; do
		curl -s -o /dev/null --interface "$A" http://198.18.77.2:7025/file
	done
	ping -I "$A" -c 2 -i 0.2 -q 198.18.77.2 >/dev/null
	flows=$(xdp-stats "$A" --json --by flows)
	convs=$(xdp-stats "$A" --json --by conversations)
	[ "$(jq -s 'map(select(.type == "conversation" and .proto == "tcp")) | length' <<<"$convs")" = 3 ]
	# each: out = the egress flow local -> remote, in = the ingress flow back
	while read -r c; do
		lport=$(jq .lport <<<"$c")
		[ "$(jq -r '[.local, .remote, .rport] | join(" ")' <<<"$c")" = "198.18.77.1 198.18.77.2 7025" ]
		[ "$(jq .out.packets <<<"$c")" = "$(jq "select(.type == \"flow\" and .dir == \"egress\" and .sport == $lport) | .packets" <<<"$flows")" ]
		[ "$(jq .in.bytes <<<"$c")" = "$(jq "select(.type == \"flow\" and .dir == \"ingress\" and .dport == $lport) | .bytes" <<<"$flows")" ]
		[ "$(jq '.packets == .in.packets + .out.packets' <<<"$c")" = true ]
	done < <(jq -c 'select(.type == "conversation" and .proto == "tcp")' <<<"$convs")
	[ "$(jq -c 'select(.type == "conversation" and .proto == "icmp") | [.in.packets, .out.packets]' <<<"$convs")" = '[2,2]' ]
	hosts=$(xdp-stats "$A" --json --by hosts)
	[ "$(jq -c 'select(.type == "host") | .addr' <<<"$hosts")" = '"198.18.77.2"' ]
	[ "$(jq 'select(.type == "host") | .in.bytes' <<<"$hosts")" = \
		"$(jq -s 'map(select(.type == "flow" and .dir == "ingress") | .bytes) | add' <<<"$flows")" ]
	[ "$(jq 'select(.type == "host") | .out.packets' <<<"$hosts")" = \
		"$(jq -s 'map(select(.type == "flow" and .dir == "egress") | .packets) | add' <<<"$flows")" ]
	run xdp-stats "$A" --by conversations --interval 0
	[[ "$output" == *"top 10 conversations by bytes since attach"* ]]
	[[ "$output" =~ tcp\ +198\.18\.77\.1:[0-9]+\ +198\.18\.77\.2:7025 ]]
}

@test "on an idle interface the top lists rank by the totals, not at random" {
	xdp-attach "$A" stats
	xk_addrs
	xk_craft_in udp_to 5 7001
	xk_craft_in udp_to 9 7002
	xk_craft_in udp_to 3 7003
	xk_craft_in udp_to 7 7004
	[ "$(xk_wait_count "$A" ingress packets 24)" = 24 ]
	# nothing moves during the interval: every rate is 0
	run xdp-stats "$A" --json --by ports --top 2 --interval 1
	[ "$(jq -sc 'map(select(.type == "port") | [.port, .pps])' <<<"$output")" = '[[7002,0],[7004,0]]' ]
	run xdp-stats "$A" --json --by flows --top 2 --interval 1
	[ "$(jq -sc 'map(select(.type == "flow") | .dport)' <<<"$output")" = '[7002,7004]' ]
}
