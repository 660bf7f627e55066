#!/usr/bin/env bats
# Export: xdp-prom against xdp-stats, promtool, a real node_exporter and a
# real Prometheus (two exporters standing in for two hosts), its HTTP mode,
# atomic files on a full disk; xdp-snapshot's files, rotation and rates.

load helpers

setup() {
	xk_setup
	PIDS="" NS2="" CG="" STATS=""
}

teardown() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	for p in $PIDS; do wait "$p" 2>/dev/null || :; done
	mountpoint -q "$BATS_TEST_TMPDIR/full" 2>/dev/null && umount "$BATS_TEST_TMPDIR/full"
	[ -z "$STATS" ] || sysctl -qw "kernel.bpf_stats_enabled=$STATS"
	if [ -n "$CG" ]; then
		xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || :; done
		for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	fi
	[ -z "$NS2" ] || ip netns del "$NS2" 2>/dev/null || :
	ip link del "${A}2" 2>/dev/null || :
	xk_teardown
}

# 11 UDP datagrams of 200 bytes to port 5300 of B, where a socket takes them
udp_out() {
	ip netns exec "$NS" socat -u UDP-RECV:5300 /dev/null 3>&- &
	PIDS="$PIDS $!"
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(11): s.sendto(b"u" * 200, ("198.18.77.2", 5300))'
}

# One sample of the exposition: prom_sample FILE 'NAME{LABELS}' -> value
prom_sample() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# A real Prometheus on 127.0.0.1 scraping every second the targets given as
# YAML scrape configs, with the examples' recording rules.
prom_start() { # SCRAPE_CONFIGS
	PROM_PORT=$(xk_free_port)
	cat >"$BATS_TEST_TMPDIR/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$XK_TOP/examples/prometheus/rules.yml", "$XK_TOP/examples/prometheus/alerts.yml"]
scrape_configs:
$1
EOF
	prometheus --config.file="$BATS_TEST_TMPDIR/prometheus.yml" --storage.tsdb.path="$BATS_TEST_TMPDIR/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$BATS_TEST_TMPDIR/prometheus.log" 2>&1 3>&- &
	PIDS="$PIDS $!"
	for _ in $(seq 300); do
		curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/prometheus.log"
	return 1
}

# The result of an instant query, as [{metric, value}] with numbers.
prom_query() {
	curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
		jq -c '.data.result | map({metric, value: (.value[1] | tonumber)}) | sort_by(.metric | tostring)'
}

# Wait (at most 30 s) until a query's single value is VALUE; print the last.
prom_wait() { # QUERY VALUE
	local v
	for _ in $(seq 150); do
		v=$(prom_query "$1" | jq -r 'if length == 1 then .[0].value else "\(length) series" end')
		[ "$v" = "$2" ] && break
		sleep 0.2
	done
	echo "$v"
}

# Known traffic both ways, the same from both ends: frames that nothing
# answers (sendframes.py).
traffic() {
	xk_send_in 37 100
	xk_send_in 5 1400
	xk_send_out 23 60
	[ "$(xk_wait_count "$A" ingress packets 42)" = 42 ]
	[ "$(xk_wait_count "$A" egress packets 23)" = 23 ]
}

@test "xdp-prom: every family equals xdp-stats --json, the histogram's count is the packets and its sum the bytes, promtool is clean" {
	xk_addrs
	xdp-attach "$A" stats dns
	traffic
	# UDP to a port, so that a port and a protocol are counted too
	udp_out
	[ "$(xk_wait_count "$A" egress udp 11)" = 11 ]
	xdp-prom "$A" >"$BATS_TEST_TMPDIR/m.prom"
	xdp-stats "$A" --json >"$BATS_TEST_TMPDIR/s.json"
	run promtool check metrics <"$BATS_TEST_TMPDIR/m.prom"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	m=$BATS_TEST_TMPDIR/m.prom
	for d in ingress egress; do
		g=$(jq -c --arg d "$d" 'select(.type == "global" and .dir == $d)' "$BATS_TEST_TMPDIR/s.json")
		l="iface=\"$A\",dir=\"$d\""
		[ "$(prom_sample "$m" "xdpkit_packets_total{$l}")" = "$(jq .packets <<<"$g")" ]
		[ "$(prom_sample "$m" "xdpkit_bytes_total{$l}")" = "$(jq .bytes <<<"$g")" ]
		[ "$(prom_sample "$m" "xdpkit_frame_size_bytes_count{$l}")" = "$(jq .packets <<<"$g")" ]
		[ "$(prom_sample "$m" "xdpkit_frame_size_bytes_sum{$l}")" = "$(jq .bytes <<<"$g")" ]
		for f in fragments parse_errors flows_created flow_evictions port_evictions capture_lost; do
			[ "$(prom_sample "$m" "xdpkit_${f}_total{$l}")" = "$(jq ".$f" <<<"$g")" ]
		done
		for f in ipv4 ipv6 non_ip; do
			[ "$(prom_sample "$m" "xdpkit_family_packets_total{$l,family=\"$f\"}")" = "$(jq ".$f" <<<"$g")" ]
		done
		for f in tcp udp icmp other; do
			[ "$(prom_sample "$m" "xdpkit_transport_packets_total{$l,transport=\"$f\"}")" = "$(jq ".$f" <<<"$g")" ]
		done
		# every bucket: the cumulative count of the size lines
		jq -r --arg d "$d" 'select(.type == "size" and .dir == $d) | "\(.le) \(.cumulative)"' "$BATS_TEST_TMPDIR/s.json" |
			while read -r le n; do
				[ "$(prom_sample "$m" "xdpkit_frame_size_bytes_bucket{$l,le=\"$le\"}")" = "$n" ]
			done
	done
	# the exact traffic: 42 frames in (37 of 100 bytes, 5 of 1400), 23 + 11 out
	[ "$(prom_sample "$m" "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"}")" = 42 ]
	[ "$(prom_sample "$m" "xdpkit_bytes_total{iface=\"$A\",dir=\"ingress\"}")" = $((37 * 100 + 5 * 1400)) ]
	[ "$(prom_sample "$m" "xdpkit_frame_size_bytes_bucket{iface=\"$A\",dir=\"ingress\",le=\"128\"}")" = 37 ]
	[ "$(prom_sample "$m" "xdpkit_port_packets_total{iface=\"$A\",dir=\"egress\",proto=\"udp\",port=\"5300\"}")" = 11 ]
	[ "$(prom_sample "$m" "xdpkit_protocol_packets_total{iface=\"$A\",dir=\"egress\",proto=\"udp\"}")" = 11 ]
	[ "$(prom_sample "$m" "xdpkit_port_bytes_total{iface=\"$A\",dir=\"egress\",proto=\"udp\",port=\"5300\"}")" = $((11 * 242)) ]
	# health, attach time, info, DNS
	[ "$(prom_sample "$m" "xdpkit_up{iface=\"$A\",module=\"stats\"}")" = 1 ]
	[ "$(prom_sample "$m" "xdpkit_up{iface=\"$A\",module=\"dns\"}")" = 1 ]
	[ "$(prom_sample "$m" "xdpkit_attach_time_seconds{iface=\"$A\"}")" = "$(jq -s '.[0].attached_at' "$BATS_TEST_TMPDIR/s.json")" ]
	grep -q "^xdpkit_info{iface=\"$A\",hook=\"tc\",mode=\"tc\",features=\"stats,dns\",version=\"$(cat "$XK_TOP/build/version")\"," "$m"
	[ "$(prom_sample "$m" "xdpkit_dns_queries_total{iface=\"$A\",dir=\"egress\"}")" = 0 ]
	[ "$(prom_sample "$m" "xdpkit_dns_latency_seconds_count{iface=\"$A\",dir=\"ingress\"}")" = 0 ]
	# one HELP and one TYPE per family, every family prefixed
	[ "$(grep -c '^# TYPE' "$m")" = "$(grep -c '^# HELP' "$m")" ]
	[ "$(grep -v '^#' "$m" | grep -vc '^xdpkit_')" = 0 ]
}

@test "xdp-prom: a named interface that is not attached reads xdpkit_up 0 and exit 7; a detach makes up 0, not vanished series" {
	xdp-attach "$A" stats
	run xdp-prom "$A" xknosuch0
	[ "$status" -eq 7 ]
	grep -qx "xdpkit_up{iface=\"$A\",module=\"stats\"} 1" <<<"$output"
	grep -qx 'xdpkit_up{iface="xknosuch0",module="stats"} 0' <<<"$output"
	xdp-detach "$A"
	run xdp-prom "$A"
	[ "$status" -eq 7 ]
	grep -qx "xdpkit_up{iface=\"$A\",module=\"stats\"} 0" <<<"$output"
	! grep -q '^xdpkit_packets_total' <<<"$output"
	# one line on stderr says so; stdout is clean for promtool
	grep -qx "xdp-prom: $A: not attached: xdpkit_up 0" <<<"$output"
	xdp-prom "$A" 2>/dev/null >"$BATS_TEST_TMPDIR/m.prom" || [ $? -eq 7 ]
	run promtool check metrics <"$BATS_TEST_TMPDIR/m.prom"
	[ "$status" -eq 0 ]
	# nothing named, nothing attached: an empty exposition, not an error
	run xdp-prom
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "xdp-prom --http: GET and HEAD /metrics, 404, 405, a silent client, and a failure as a 500 with its message" {
	xdp-attach "$A" count
	xk_send_in 3 64
	run sh -c "printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | xdp-prom --http '$A'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'HTTP/1.1 200 OK\r' ]
	[ "${lines[1]}" = $'Content-Type: text/plain; version=0.0.4; charset=utf-8\r' ]
	body=$(printf '%s\n' "$output" | sed '1,/^\r$/d')
	len=$(printf '%s\n' "$output" | sed -n 's/^Content-Length: \([0-9]*\)\r$/\1/p')
	[ "$(printf '%s\n' "$body" | wc -c)" = "$len" ]
	grep -qx "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"} 3" <<<"$body"
	run sh -c "printf 'HEAD /metrics HTTP/1.0\r\n\r\n' | xdp-prom --http '$A'"
	[ "${lines[0]}" = $'HTTP/1.1 200 OK\r' ]
	! grep -q '^xdpkit' <<<"$output"
	run sh -c "printf 'GET /other HTTP/1.0\r\n\r\n' | xdp-prom --http"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'HTTP/1.1 404 Not Found\r' ]
	run sh -c "printf 'POST /metrics HTTP/1.0\r\n\r\n' | xdp-prom --http"
	[ "${lines[0]}" = $'HTTP/1.1 405 Method Not Allowed\r' ]
	run sh -c "xdp-prom --http </dev/null"
	[ "${lines[0]}" = $'HTTP/1.1 408 Request Timeout\r' ]
	# a request line of 2 MB without a space: refused at once (it made the
	# shell's pattern matching spin for minutes, deaf to SIGTERM)
	head -c 2000000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/long"
	SECONDS=0
	run timeout 20 xdp-prom --http <"$BATS_TEST_TMPDIR/long"
	[ "${lines[0]}" = $'HTTP/1.1 414 URI Too Long\r' ]
	[ "$SECONDS" -le 5 ]
	run sh -c "printf 'GET /metrics HTTP/1.0\r\n\r\n' | XDPKIT_BPFFS=/nonexistent/xk xdp-prom --http"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = $'HTTP/1.1 500 Internal Server Error\r' ]
	grep -q 'no bpf filesystem' <<<"$output"
}

@test "xdp-prom --textfile: a reader never sees part of a file; a full disk keeps the earlier file whole, leaves no temporary file, exits 1" {
	xdp-attach "$A" stats
	traffic
	dir=$BATS_TEST_TMPDIR/tf
	mkdir "$dir"
	xdp-prom --textfile "$dir"
	full=$(grep -c '^# TYPE' "$dir/xdpkit.prom")
	# a reader in a loop while the file is rewritten 15 times
	( for _ in $(seq 15); do xdp-prom --textfile "$dir"; done; touch "$dir/done" ) 3>&- &
	PIDS="$PIDS $!"
	reads=0
	while [ ! -e "$dir/done" ]; do
		n=$(grep -c '^# TYPE' "$dir/xdpkit.prom")
		[ "$n" = "$full" ] || { echo "a read saw $n families of $full"; false; }
		reads=$((reads + 1))
	done
	echo "reads: $reads"
	[ "$reads" -gt 15 ]
	[ "$(ls -A "$dir")" = "$(printf 'done\nxdpkit.prom')" ]
	# a full disk
	mkdir "$BATS_TEST_TMPDIR/full"
	mount -t tmpfs -o size=64k tmpfs "$BATS_TEST_TMPDIR/full"
	xdp-prom --textfile "$BATS_TEST_TMPDIR/full"
	cp "$BATS_TEST_TMPDIR/full/xdpkit.prom" "$BATS_TEST_TMPDIR/before"
	head -c 60000 /dev/zero >"$BATS_TEST_TMPDIR/full/filler" 2>/dev/null || :
	run xdp-prom --textfile "$BATS_TEST_TMPDIR/full"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q '^xdp-prom: error: .*disk full' <<<"$output"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/full/xdpkit.prom"
	[ "$(ls -A "$BATS_TEST_TMPDIR/full")" = "$(printf 'filler\nxdpkit.prom')" ]
}

@test "node_exporter's textfile collector and Prometheus: packets, bytes and the histogram's count equal xdp-stats; a re-attach is a counter reset; the recording rules return data" {
	xdp-attach "$A" stats
	traffic
	dir=$BATS_TEST_TMPDIR/textfile
	mkdir "$dir"
	xdp-prom --textfile "$dir"
	ne=$(xk_free_port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$ne" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$dir" >"$BATS_TEST_TMPDIR/ne.log" 2>&1 3>&- &
	PIDS="$PIDS $!"
	prom_start "  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$ne']}]"
	for d in ingress egress; do
		want=$(xdp-stats "$A" --json | jq -c --arg d "$d" 'select(.type == "global" and .dir == $d) | [.packets, .bytes]')
		l="{iface=\"$A\",dir=\"$d\"}"
		got="[$(prom_wait "xdpkit_packets_total$l" "$(jq '.[0]' <<<"$want")"),$(prom_wait "xdpkit_bytes_total$l" "$(jq '.[1]' <<<"$want")")]"
		echo "$d: want $want, Prometheus $got"
		[ "$got" = "$want" ]
		[ "$(prom_wait "xdpkit_frame_size_bytes_count$l" "$(jq '.[0]' <<<"$want")")" = "$(jq '.[0]' <<<"$want")" ]
	done
	[ "$(prom_wait "xdpkit_up{iface=\"$A\",module=\"stats\"}" 1)" = 1 ]
	# more traffic, a rewrite: Prometheus follows
	xk_send_in 8 100
	[ "$(xk_wait_count "$A" ingress packets 50)" = 50 ]
	xdp-prom --textfile "$dir"
	[ "$(prom_wait "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"}" 50)" = 50 ]
	# a detach and an attach: counters from zero, which Prometheus takes as a
	# counter reset, and the attach time changes with them
	xdp-detach "$A"
	sleep 1.1 # attached_at has whole seconds
	xdp-attach "$A" stats
	xk_send_in 3 100
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	xdp-prom --textfile "$dir"
	[ "$(prom_wait "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"}" 3)" = 3 ]
	[ "$(prom_wait "resets(xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"}[5m])" 1)" = 1 ]
	[ "$(prom_wait "changes(xdpkit_attach_time_seconds{iface=\"$A\"}[5m])" 1)" = 1 ]
	# one series all along: no attach label
	[ "$(prom_query "count_over_time(xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"}[5m])" | jq length)" = 1 ]
	# the recording rules (examples/prometheus/rules.yml) evaluate to data
	for r in instance_iface_dir:xdpkit_bytes:rate5m instance_dir:xdpkit_bytes:rate5m dir:xdpkit_bytes:rate5m; do
		[ "$(prom_wait "count($r)" 2)" = 2 ]
	done
}

@test "two exporters (xdp-prom --http behind socat, examples/prom-socat.sh) for two interfaces in two namespaces, one Prometheus: sum by (dir) equals the two xdp-stats readings" {
	NS2=xkns2$XK_ID
	ip netns add "$NS2"
	ip link add "${A}2" type veth peer name "${B}2" netns "$NS2"
	# no IPv6 (no DAD, no router solicitations): the test's frames alone
	sysctl -qw "net.ipv6.conf.${A}2.disable_ipv6=1"
	ip netns exec "$NS2" sysctl -qw "net.ipv6.conf.${B}2.disable_ipv6=1"
	ip link set "${A}2" up
	ip -n "$NS2" link set "${B}2" up
	xdp-attach --netns "$NS" "$B" stats
	xdp-attach --netns "$NS2" "${B}2" stats
	python3 "$XK_TOP/tests/sendframes.py" "$A" 17 300
	python3 "$XK_TOP/tests/sendframes.py" "${A}2" 29 500
	ip netns exec "$NS2" python3 "$XK_TOP/tests/sendframes.py" "${B}2" 4 80
	p1=$(xk_free_port)
	p2=$(xk_free_port)
	# examples/prom-socat.sh, as an operator would start it on each host
	"$XK_TOP/examples/prom-socat.sh" "$p1" 127.0.0.1 -- --netns "$NS" "$B" 3>&- &
	PIDS="$PIDS $!"
	"$XK_TOP/examples/prom-socat.sh" "$p2" 127.0.0.1 -- --netns "$NS2" "${B}2" 3>&- &
	PIDS="$PIDS $!"
	prom_start "  - job_name: xdpkit
    scrape_interval: 5s
    scrape_timeout: 5s
    static_configs: [{targets: ['127.0.0.1:$p1', '127.0.0.1:$p2']}]"
	for d in ingress egress; do
		want=$( (xdp-stats --netns "$NS" "$B" --json; xdp-stats --netns "$NS2" "${B}2" --json) |
			jq -s --arg d "$d" 'map(select(.type == "global" and .dir == $d) | .bytes) | add')
		got=$(prom_wait "sum by (dir) (xdpkit_bytes_total{dir=\"$d\"})" "$want")
		echo "$d: xdp-stats $want, Prometheus $got"
		[ "$got" = "$want" ]
	done
	# the exact figures: B got 17 x 300, B2 got 29 x 500 and sent 4 x 80
	[ "$(prom_wait 'sum by (dir) (xdpkit_bytes_total{dir="ingress"})' $((17 * 300 + 29 * 500)))" = $((17 * 300 + 29 * 500)) ]
	[ "$(prom_wait 'sum by (dir) (xdpkit_bytes_total{dir="egress"})' $((4 * 80)))" = $((4 * 80)) ]
	# both targets up, both interfaces' monitors up, with their namespaces
	[ "$(prom_wait 'sum(up{job="xdpkit"})' 2)" = 2 ]
	[ "$(prom_query 'xdpkit_up' | jq -c 'map([.metric.iface, .metric.netns, .value])')" = \
		"[[\"$B\",\"$NS\",1],[\"${B}2\",\"$NS2\",1]]" ]
	# a detach reads as up 0 at its target, not as a target that stops
	xdp-detach --netns "$NS2" "${B}2"
	[ "$(prom_wait "xdpkit_up{iface=\"${B}2\"}" 0)" = 0 ]
	[ "$(prom_wait 'sum(up{job="xdpkit"})' 2)" = 2 ]
}

@test "xdp-snapshot: every record type with what a difference needs; rates equal the traffic between two; rotation keeps N" {
	xk_addrs
	xdp-attach "$A" stats dns
	dir=$BATS_TEST_TMPDIR/snap
	run xdp-snapshot "$A" "$A" --dir "$dir" --keep 3
	[ "$status" -eq 0 ]
	first=$output
	# one interface named twice: its lines once
	[ "$(jq -s 'map(select(.type == "global")) | length' "$first")" = 2 ]
	[ -f "$first" ]
	head -n 1 "$first" | jq -e --arg b "$(cat /proc/sys/kernel/random/boot_id)" --arg h "$(uname -n)" '
		.type == "snapshot" and .schema == 1 and .boot_id == $b and .host == $h and (.monotonic > 0) and (.ts > 0)'
	jq -se --arg a "$A" 'map(select(.type == "status")) | length == 1 and .[0].iface == $a
		and .[0].attached_at > 0 and .[0].tc.prog_id > 0 and .[0].hook == "tc"' "$first"
	for t in global size dns_stats dns_latency; do
		jq -se --arg t "$t" 'any(.[]; .type == $t)' "$first" >/dev/null
	done
	sleep 1
	traffic
	udp_out
	[ "$(xk_wait_count "$A" egress packets 34)" = 34 ]
	second=$(xdp-snapshot "$A" --dir "$dir" --keep 3)
	for t in global size proto flow port dns_stats dns_latency; do
		jq -se --arg t "$t" 'any(.[]; .type == $t)' "$second" >/dev/null
	done
	run xdp-snapshot --rates --dir "$dir" --json
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -c 'select(.what == "global") | [.dir, .packets, .bytes, .valid]' <<<"$output")" = \
		"$(printf '["ingress",42,%s,true]\n["egress",34,%s,true]' $((37 * 100 + 5 * 1400)) $((23 * 60 + 11 * 242)))" ]
	# the rate is the increase over the monotonic interval
	jq -se 'map(select(.what == "global")) | length == 2 and all(.[]; .interval > 1 and (.pps - .packets / .interval | fabs) < 1e-9)' <<<"$output"
	# a port that is new in the second: no rate, and why; a protocol new in
	# the same attach counts from 0
	[ "$(jq -c 'select(.what == "port") | [.port, .valid, .reason]' <<<"$output")" = '[5300,false,"new"]' ]
	[ "$(jq -c 'select(.what == "proto") | [.dir, .proto, .packets, .valid]' <<<"$output")" = '["egress","udp",11,true]' ]
	# two files in either order: the same rates
	[ "$(xdp-snapshot --rates "$second" "$first" --json)" = "$(xdp-snapshot --rates "$first" "$second" --json)" ]
	# the table
	run xdp-snapshot --rates --dir "$dir"
	[ "$status" -eq 0 ]
	grep -q "^$A  *ingress  " <<<"$output"
	# rotation: 3 kept, the newest
	for _ in 1 2 3; do xdp-snapshot "$A" --dir "$dir" --keep 3 >/dev/null; done
	[ "$(ls "$dir" | wc -l)" = 3 ]
	[ ! -e "$first" ]
	[ ! -e "$second" ]
}

@test "xdp-snapshot: a re-attach or a reboot between two snapshots gives no rate and says why, never a negative one" {
	xdp-attach "$A" stats
	dir=$BATS_TEST_TMPDIR/snap
	xk_send_in 30 100
	[ "$(xk_wait_count "$A" ingress packets 30)" = 30 ]
	a=$(xdp-snapshot "$A" --dir "$dir")
	sleep 1.1
	xdp-detach "$A"
	xdp-attach "$A" stats
	xk_send_in 5 100
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	b=$(xdp-snapshot "$A" --dir "$dir")
	run xdp-snapshot --rates "$a" "$b" --json
	[ "$status" -eq 0 ]
	[ "$(jq -sc 'map(select(.what == "global") | [.valid, .reason, .pps]) | unique' <<<"$output")" = '[[false,"reattach",null]]' ]
	# a reboot: another boot id
	jq -c 'if .type == "snapshot" then .boot_id = "another" else . end' "$a" >"$BATS_TEST_TMPDIR/rebooted"
	run xdp-snapshot --rates "$BATS_TEST_TMPDIR/rebooted" "$b" --json
	[ "$(jq -sc 'map(select(.what == "global") | [.valid, .reason, .interval]) | unique' <<<"$output")" = '[[false,"reboot",null]]' ]
	run xdp-snapshot --rates "$a" --json
	[ "$status" -eq 2 ]
	run xdp-snapshot --rates "$a" /etc/hostname
	[ "$status" -eq 2 ]
}

@test "xdp-snapshot: an interface not attached gets nothing and one line on stderr; a full disk leaves no partial file; cron's environment from an installed copy" {
	xdp-attach "$A" stats
	dir=$BATS_TEST_TMPDIR/snap
	run xdp-snapshot xknosuch0 --dir "$dir"
	[ "$status" -eq 7 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q '^xdp-snapshot: error: .*xknosuch0' <<<"$output"
	[ -z "$(ls -A "$dir" 2>/dev/null)" ]
	run xdp-snapshot "$A" xknosuch0 --dir "$dir"
	[ "$status" -eq 7 ]
	[ "$(ls "$dir" | wc -l)" = 1 ]
	! grep -q xknosuch0 "$dir"/*
	# a full disk
	mkdir "$BATS_TEST_TMPDIR/full"
	mount -t tmpfs -o size=64k tmpfs "$BATS_TEST_TMPDIR/full"
	head -c 60000 /dev/zero >"$BATS_TEST_TMPDIR/full/filler" 2>/dev/null || :
	run xdp-snapshot "$A" --dir "$BATS_TEST_TMPDIR/full"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/full")" = filler ]
	# installed, run from / under cron's environment
	prefix=$BATS_TEST_TMPDIR/prefix
	make -C "$XK_TOP" --no-print-directory -s install DESTDIR="$BATS_TEST_TMPDIR/stage" PREFIX=/usr/local >/dev/null
	mv "$BATS_TEST_TMPDIR/stage/usr/local" "$prefix"
	cd /
	xk_send_in 6 100
	[ "$(xk_wait_count "$A" ingress packets 6)" = 6 ]
	run env -i PATH=/usr/bin:/bin SHELL=/bin/sh LOGNAME=root XDPKIT_BPFFS="$XDPKIT_BPFFS" \
		"$prefix/bin/xdp-snapshot" "$A" --dir "$BATS_TEST_TMPDIR/cron" </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.type == "global" and .dir == "ingress") | .packets' "$output")" = 6 ]
	run env -i PATH=/usr/bin:/bin SHELL=/bin/sh LOGNAME=root XDPKIT_BPFFS="$XDPKIT_BPFFS" \
		"$prefix/bin/xdp-prom" "$A" --textfile "$BATS_TEST_TMPDIR/cron" </dev/null
	[ "$status" -eq 0 ]
	grep -qx "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"} 6" "$BATS_TEST_TMPDIR/cron/xdpkit.prom"
}

@test "the Grafana dashboard: every panel's query returns data from a real Prometheus scraping traffic, DNS, connections and the kernel's BPF statistics" {
	xk_addrs
	STATS=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	CG=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)/xktest-$XK_ID
	mkdir "$CG"
	xdp-attach "$A" stats dns
	xdp-attach --cgroup "$CG" conntrack
	xk_http_server 8080 198.18.77.2 5000
	PIDS="$PIDS $SRV_PID"
	# a resolver in the namespace, on the CPU the client runs on (a query
	# and its response on one CPU are matched)
	cpu=$(($(nproc) - 1))
	printf 'no-resolv\nno-hosts\nbind-interfaces\nlisten-address=198.18.77.2\nlocal=/example.test/\nhost-record=h.example.test,198.18.1.2\n' \
		>"$BATS_TEST_TMPDIR/dnsmasq.conf"
	ip netns exec "$NS" taskset -c "$cpu" dnsmasq --keep-in-foreground --conf-file="$BATS_TEST_TMPDIR/dnsmasq.conf" \
		--log-facility=- >/dev/null 2>&1 3>&- &
	PIDS="$PIDS $!"
	port=$(xk_free_port)
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:"$XK_TOP/bin/xdp-prom --http" 3>&- &
	PIDS="$PIDS $!"
	prom_start "  - job_name: xdpkit
    scrape_interval: 4s
    scrape_timeout: 4s
    static_configs: [{targets: ['127.0.0.1:$port']}]"
	# traffic of every kind, for two scrapes and more
	for _ in 1 2 3 4; do
		taskset -c "$cpu" dig +short +tries=3 +time=1 @198.18.77.2 h.example.test A >/dev/null
		taskset -c "$cpu" dig +short +tries=3 +time=1 @198.18.77.2 nx.example.test A >/dev/null
		xk_craft_in udp4 3
		xk_in_cg "$CG" curl -s -o /dev/null http://198.18.77.2:8080/file
		sleep 2
	done
	[ "$(prom_wait 'xdpkit_tcp_opens_total{role="active"}' 4)" = 4 ]
	[ "$(prom_wait "sum(xdpkit_dns_answered_total{iface=\"$A\"})" 8)" = 8 ]
	# three scrapes or more in the last minute: rates have two samples
	[ "$(prom_wait 'count(count_over_time(up{job="xdpkit"}[1m]) > 2)' 1)" = 1 ]
	jq -r '.panels[] | select(.targets != null) | .title as $t | .targets[] | "\($t)\t\(.expr)"' \
		"$XK_TOP/examples/grafana/xdpkit.json" >"$BATS_TEST_TMPDIR/queries"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/queries")" -ge 20 ]
	fail=0
	while IFS="$(printf '\t')" read -r title expr; do
		q=$(printf '%s' "$expr" | sed 's/\$instance/.+/g; s/\$iface/.+/g; s/\$__rate_interval/1m/g; s/\$__range/5m/g')
		n=$(prom_query "$q" | jq 'map(select(.value | isnan | not)) | length')
		echo "$n  $title: $q"
		[ "$n" -gt 0 ] || fail=1
	done <"$BATS_TEST_TMPDIR/queries"
	[ "$fail" = 0 ]
}

@test "xdp-plot: a PNG and an SVG of rates, protocol mix and frame sizes from the snapshot history; fewer than two snapshots: exit 7" {
	xk_addrs
	xdp-attach "$A" stats
	dir=$BATS_TEST_TMPDIR/snap
	xdp-snapshot "$A" --dir "$dir" >/dev/null
	run xdp-plot "$dir" --out "$BATS_TEST_TMPDIR/one.png"
	[ "$status" -eq 7 ]
	[ ! -e "$BATS_TEST_TMPDIR/one.png" ]
	for n in 20 60 5; do
		sleep 1
		xk_send_in "$n" 300
		xk_craft_in udp4 "$n"
		xdp-snapshot "$A" --dir "$dir" >/dev/null
	done
	cd "$BATS_TEST_TMPDIR"
	run xdp-plot "$dir" --out rates.png
	[ "$status" -eq 0 ]
	[ "$output" = rates.png ]
	[ "$(head -c 8 rates.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	# width and height from the IHDR chunk: 1400 x 1000
	[ "$(od -An -tu1 -j 16 -N 8 rates.png | tr -s ' ')" = " 0 0 5 120 0 0 3 232" ]
	run xdp-plot "$dir" --out rates.svg --iface "$A"
	[ "$status" -eq 0 ]
	grep -q '<svg' rates.svg
	grep -q 'packets per second' rates.svg
	grep -q 'protocol mix' rates.svg
	grep -q "xdpkit: $A" rates.svg
	run xdp-plot "$dir" --out rates.txt
	[ "$status" -eq 2 ]
	run xdp-plot "$dir" --iface xknosuch0 --out x.png
	[ "$status" -eq 7 ]
}
