#!/usr/bin/env bats
# xdp-capture over real frames: exact events and fields both ways, sampling,
# filters, payload bytes, pcapng read back by tshark and tcpdump, the ends
# of a run (count, Ctrl-C, a closed pipe, SIGKILL), an overflow counted
# exactly, capture beside stats, and the helper under valgrind.

load helpers

setup() {
	xk_setup
	CAP_PID=""
}

teardown() {
	if [ -n "$CAP_PID" ]; then
		kill -9 -- "-$CAP_PID" 2>/dev/null || kill -9 "$CAP_PID" 2>/dev/null || :
	fi
	pkill -9 -f "xk-drain .*$XDPKIT_BPFFS" 2>/dev/null || :
	tmux kill-session -t "xk$XK_ID" 2>/dev/null || :
	xk_teardown
}

OUT() { printf '%s/cap.out\n' "$BATS_TEST_TMPDIR"; }
ERR() { printf '%s/cap.err\n' "$BATS_TEST_TMPDIR"; }

cap_armed() { xk_capture_armed "$A" || { cat "$(ERR)"; return 1; }; }

# xdp-capture A ARGS... in the background, in a session of its own (so that
# it can be killed whole), output in OUT and ERR; returns once armed.
cap_start() {
	setsid xdp-capture "$A" "$@" >"$(OUT)" 2>"$(ERR)" 3>&- &
	CAP_PID=$!
	cap_armed
}

# Wait (at most $1 s, default 10) for the capture to end; its status in CAP_RC.
cap_wait() {
	local i
	for i in $(seq $((${1:-10} * 10))); do
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$CAP_PID" 2>/dev/null; then
		echo "capture still running after ${1:-10} s"
		kill -9 -- "-$CAP_PID" 2>/dev/null || kill -9 "$CAP_PID" 2>/dev/null || :
	fi
	CAP_RC=0
	wait "$CAP_PID" || CAP_RC=$?
	CAP_PID=""
}

# Events of OUT as compact lines of FIELDS (a jq array expression).
events() { jq -c "$1" "$(OUT)"; }

@test "N frames give N events with their fields: both directions, IPv4, IPv6, VLAN and QinQ" {
	cap_start --json --count 11
	xk_craft_in udp4 3
	xk_craft_out udp4 2
	xk_craft_in tcp6 2
	xk_craft_in vlan_udp4 2
	xk_craft_in qinq_udp4 2
	cap_wait
	[ "$CAP_RC" = 0 ]
	cat "$(OUT)"
	[ "$(wc -l <"$(OUT)")" = 11 ]
	# every line parses, has a type, a time, no payload (snaplen 0)
	[ "$(jq -c 'select(.type == "packet" and .iface == "'"$A"'" and (.ts | type) == "number" and (has("payload") | not))' "$(OUT)" | wc -l)" = 11 ]
	[ "$(events '[.dir, .family, .src, .sport, .dst, .dport, .proto, .len, .vlan, .parse, .tcp_flags]' | sort | uniq -c | sed 's/^ *//' | sort)" = \
"$(sort <<'EOF'
2 ["egress",4,"198.18.9.1",40000,"198.18.9.2",53,"udp",62,[],"ip",[]]
2 ["ingress",4,"198.18.9.1",40000,"198.18.9.2",53,"udp",66,[100],"ip",[]]
2 ["ingress",4,"198.18.9.1",40000,"198.18.9.2",53,"udp",70,[200,100],"ip",[]]
2 ["ingress",6,"fd00:db8::1",40000,"fd00:db8::2",80,"tcp",74,[],"ip",["SYN"]]
3 ["ingress",4,"198.18.9.1",40000,"198.18.9.2",53,"udp",62,[],"ip",[]]
EOF
)" ]
	# times are now, in order
	[ "$(jq -s 'map(.ts) | (. == sort) and (.[0] > now - 60) and (.[-1] <= now)' "$(OUT)")" = true ]
	grep -qx "xdp-capture: $A: 11 events, 0 lost (ring buffer full)" "$(ERR)"
	# it attached xdpkit for itself, and took it off again
	[ ! -e "$(xk_pins "$A")" ]
	! tc qdisc show dev "$A" | grep -q clsact
}

@test "the default output: one line per packet, as tcpdump writes them" {
	cap_start --count 3
	xk_craft_in udp4 1
	xk_craft_in tcp6 1
	ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" 1 60 0806
	cap_wait
	cat "$(OUT)"
	[ "$CAP_RC" = 0 ]
	sed 's/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{6\} //' "$(OUT)" >"$BATS_TEST_TMPDIR/lines"
	[ "$(cat "$BATS_TEST_TMPDIR/lines")" = "ingress 198.18.9.1.40000 > 198.18.9.2.53: udp, length 62
ingress fd00:db8::1.40000 > fd00:db8::2.80: tcp [SYN], length 74
ingress ethertype 0x0806 (arp), length 60" ]
}

@test "the end line comes after the last packet line, whole, on a shared stdout and stderr" {
	setsid sh -c "xdp-capture $A --count 3 >$(OUT) 2>&1" 3>&- &
	CAP_PID=$!
	cap_armed
	xk_craft_in udp4 3
	cap_wait
	cat "$(OUT)"
	[ "$(wc -l <"$(OUT)")" = 4 ]
	[ "$(sed -n 4p "$(OUT)")" = "xdp-capture: $A: 3 events, 0 lost (ring buffer full)" ]
}

@test "an output that cannot be written: exit 1 with the reason, nothing left attached" {
	run xdp-capture "$A" --pcapng /nonexistent/dir/x.pcapng --count 1
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "xdp-capture: error: /nonexistent/dir/x.pcapng: cannot write it" ]
	[ ! -e "$(xk_pins "$A")" ]
	setsid sh -c "xdp-capture $A --json --count 2 >/dev/full 2>$(ERR)" 3>&- &
	CAP_PID=$!
	cap_armed
	xk_craft_in udp4 2
	cap_wait
	cat "$(ERR)"
	[ "$CAP_RC" = 1 ]
	grep -qx "xdp-capture: $A: writing the output: No space left on device" "$(ERR)"
	[ ! -e "$(xk_pins "$A")" ]
}

@test "1-in-K sampling takes the 1st, K+1th, 2K+1th ... of the packets the filters pass" {
	cap_start --json --sample 3 --proto udp
	xk_craft_in tcp6 5
	xk_craft_in udp4 10
	sleep 0.5
	kill -TERM "$CAP_PID"
	cap_wait
	[ "$CAP_RC" = 0 ]
	# 10 UDP frames pass the filter: the 1st, 4th, 7th and 10th are taken
	[ "$(wc -l <"$(OUT)")" = 4 ]
	[ "$(events '.proto' | sort -u)" = '"udp"' ]
}

@test "each filter selects exactly the packets it names" {
	send() {
		xk_craft_in udp4 2        # 198.18.9.1:40000 -> .2:53, ingress
		xk_craft_in tcp6 3        # fd00:db8::1:40000 -> ::2:80
		xk_craft_in udp_to 1 5000 # 198.18.9.1:40000 -> .2:5000
		xk_craft_out udp4 2       # egress
		ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" 2 60
	}
	for f in "--proto tcp:3" "--proto 17:5" "--port 53:4" "--port 80:3" "--host fd00:db8::2:3" \
		"--host 198.18.9.1:5" "--dir egress:2" "--dir ingress:8" "--host 198.18.9.2 --port 5000:1" \
		"--proto icmp:0"; do
		# shellcheck disable=SC2086 # the filter's words
		cap_start --json ${f%:*}
		send
		sleep 0.4
		kill -TERM "$CAP_PID"
		cap_wait
		echo "$f: $(wc -l <"$(OUT)")"
		[ "$(wc -l <"$(OUT)")" = "${f##*:}" ]
	done
	# no filter: every frame, the non-IP ones too
	cap_start --json
	send
	sleep 0.4
	kill -TERM "$CAP_PID"
	cap_wait
	[ "$(wc -l <"$(OUT)")" = 10 ]
	[ "$(events 'select(.family == 0) | [.parse, .ethertype, .len]' | sort -u)" = '["non_ip",34997,60]' ]
}

@test "--snaplen: the payload is the frame's first bytes, as sent and as tcpdump saw them, the VLAN tag in place" {
	xk_tcpdump_start
	cap_start --json --snaplen 64 --count 4
	bmac=$(ip -n "$NS" -j link show dev "$B" | jq -r '.[0].address | gsub(":"; "")')
	ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" 1 100
	ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" 1 50
	xk_craft_in vlan_udp4 1
	xk_craft_in qinq_udp4 1
	cap_wait
	xk_tcpdump_stop
	[ "$CAP_RC" = 0 ]
	zeros() { printf '%*s' "$1" '' | tr ' ' 0; }
	[ "$(events 'select(.ethertype == 34997) | [.len, .caplen, .payload]' | sed -n 1p)" = \
		"[100,64,\"ffffffffffff${bmac}88b5$(zeros $((50 * 2)))\"]" ]
	[ "$(events 'select(.ethertype == 34997) | [.len, .caplen, .payload]' | sed -n 2p)" = \
		"[50,50,\"ffffffffffff${bmac}88b5$(zeros $((36 * 2)))\"]" ]
	# tagged frames: what tcpdump captured (it puts the tag back too), cut to 64
	python3 "$XK_TOP/tests/pcaphex.py" "$BATS_TEST_TMPDIR/in.pcap" | awk '{ print substr($3, 1, 128) }' |
		grep -v 88b5 >"$BATS_TEST_TMPDIR/tcpdump.hex"
	events 'select(.vlan != []) | .payload' | tr -d '"' >"$BATS_TEST_TMPDIR/capture.hex"
	cat "$BATS_TEST_TMPDIR/tcpdump.hex" "$BATS_TEST_TMPDIR/capture.hex"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/capture.hex")" = 2 ]
	diff "$BATS_TEST_TMPDIR/tcpdump.hex" "$BATS_TEST_TMPDIR/capture.hex"
	grep -q '^ffffffffffff.\{12\}8100006408004500' "$BATS_TEST_TMPDIR/capture.hex"
	grep -q '^ffffffffffff.\{12\}88a800c8810000640800' "$BATS_TEST_TMPDIR/capture.hex"
}

@test "--pcapng: tshark and tcpdump read back the frames sent, with their directions and lengths" {
	xk_tcpdump_start
	cap_start --pcapng "$BATS_TEST_TMPDIR/c.pcapng" --count 6
	xk_craft_in udp4 3
	xk_craft_out udp4 2
	xk_craft_in tcp6 1
	cap_wait
	xk_tcpdump_stop
	[ "$CAP_RC" = 0 ]
	f=$BATS_TEST_TMPDIR/c.pcapng
	tshark -r "$f" -T fields -e frame.packet_flags_direction -e frame.len -e frame.cap_len -e ip.src -e ipv6.src \
		-e udp.dstport -e tcp.dstport 2>/dev/null | sort | uniq -c | sed 's/^ *//' | sort >"$BATS_TEST_TMPDIR/tshark"
	cat "$BATS_TEST_TMPDIR/tshark"
	[ "$(cat "$BATS_TEST_TMPDIR/tshark")" = "$(printf '%s\n' \
		"1 0x00000001	74	74		fd00:db8::1		80" \
		"2 0x00000002	62	62	198.18.9.1		53	" \
		"3 0x00000001	62	62	198.18.9.1		53	" | sort)" ]
	[ "$(tcpdump -nr "$f" 2>/dev/null | wc -l)" = 6 ]
	# the bytes: those tcpdump captured, in and out
	python3 "$XK_TOP/tests/pcaphex.py" "$f" | sort >"$BATS_TEST_TMPDIR/ours"
	{
		python3 "$XK_TOP/tests/pcaphex.py" "$BATS_TEST_TMPDIR/in.pcap" | sed 's/^-/in/'
		python3 "$XK_TOP/tests/pcaphex.py" "$BATS_TEST_TMPDIR/out.pcap" | sed 's/^-/out/'
	} | sort >"$BATS_TEST_TMPDIR/theirs"
	diff "$BATS_TEST_TMPDIR/theirs" "$BATS_TEST_TMPDIR/ours"
	# classic pcap too, without directions
	cap_start --pcap "$BATS_TEST_TMPDIR/c.pcap" --count 2
	xk_craft_in udp4 2
	cap_wait
	[ "$(tcpdump -nr "$BATS_TEST_TMPDIR/c.pcap" 2>/dev/null | grep -c '198.18.9.1.40000 > 198.18.9.2.53: ')" = 2 ]
}

@test "| head -3 ends within a second of the third packet, status 0, nothing on stderr, nothing left" {
	log=$BATS_TEST_TMPDIR/head
	(
		set -o pipefail
		xdp-capture "$A" --json 2>"$(ERR)" | head -3 >"$log"
		echo "$? $(date +%s.%N)" >"$log.end"
	) 3>&- &
	CAP_PID=$!
	cap_armed
	start=$(date +%s.%N)
	xk_craft_in udp4 3
	cap_wait 5
	cat "$log" "$log.end" "$(ERR)"
	[ "$(wc -l <"$log")" = 3 ]
	[ "$(cut -d' ' -f1 "$log.end")" = 0 ]
	[ ! -s "$(ERR)" ]
	awk -v s="$start" '{ exit !($2 - s < 1.0) }' "$log.end"
	[ ! -e "$(xk_pins "$A")" ]
}

@test "Ctrl-C ends it at once, with the count; capture is off and xdpkit gone" {
	xdp-attach "$A" stats
	tmux new-session -d -s "xk$XK_ID" -x 200 -y 50 \
		"XDPKIT_BPFFS=$XDPKIT_BPFFS XDPKIT_RUNDIR=$XDPKIT_RUNDIR $XK_TOP/bin/xdp-capture $A 2>$(ERR); echo status \$? >$(OUT); sleep 30"
	cap_armed
	xk_craft_in udp4 2
	sleep 0.3
	tmux send-keys -t "xk$XK_ID" C-c
	for _ in $(seq 30); do [ -s "$(OUT)" ] && break; sleep 0.1; done
	cat "$(OUT)" "$(ERR)"
	[ "$(cat "$(OUT)")" = "status 0" ]
	grep -qx "xdp-capture: $A: 2 events, 0 lost (ring buffer full)" "$(ERR)"
	# stats stays, as it was; capture is off
	[ "$(xdp-status "$A" --json | jq -c '[.features, .capture.running, .capture.pid, .capture.events]')" = '[["stats"],false,null,2]' ]
	[ "$(xk_g ingress udp)" = 2 ]
}

@test "SIGKILL of the reader: capture stops within 3 s by itself, xdp-status says so, the next capture cleans up" {
	cap_start --json
	pid=$CAP_PID
	xk_craft_in udp4 1
	sleep 0.3
	kill -9 -- "-$pid"
	CAP_PID=""
	t0=$(date +%s)
	xdp-status "$A" --json | jq -c .capture
	# within 3 s the deadline passes
	for _ in $(seq 40); do
		[ "$(xdp-status "$A" --json | jq .capture.running)" = false ] && break
		sleep 0.1
	done
	[ $(($(date +%s) - t0)) -le 4 ]
	xdp-status "$A" | grep -q "capture: stopped (its reader, pid $pid, is gone)"
	events0=$(xdp-status "$A" --json | jq .capture.events)
	xk_craft_in udp4 5
	sleep 0.3
	[ "$(xdp-status "$A" --json | jq .capture.events)" = "$events0" ]
	# the next capture takes it over, and takes off what the killed one attached
	cap_start --json --count 1
	xk_craft_in udp4 1
	cap_wait
	[ "$CAP_RC" = 0 ]
	[ "$(wc -l <"$(OUT)")" = 1 ]
	[ ! -e "$(xk_pins "$A")" ]
}

@test "SIGKILL of xdp-capture alone: its helper and its watcher end by themselves within 5 s" {
	cap_start --json
	pid=$CAP_PID
	# the command, its helper, its watcher (and the watcher's sleep)
	[ "$(pgrep -s "$pid" | wc -l)" -ge 3 ]
	kill -9 "$pid"
	CAP_PID=""
	for _ in $(seq 50); do
		[ -z "$(pgrep -s "$pid")" ] && break
		sleep 0.1
	done
	pgrep -a -s "$pid" || :
	[ -z "$(pgrep -s "$pid")" ]
}

@test "what a capture left in the ring buffer past its --count is not the next capture's" {
	xdp-attach "$A" count
	cap_start --json --count 1
	xk_craft_in udp_to 3 5001 # 1 read, 2 left in the ring
	cap_wait
	[ "$(events '.dport')" = 5001 ]
	cap_start --json --count 1
	xk_craft_in udp_to 1 5002
	cap_wait
	[ "$CAP_RC" = 0 ]
	[ "$(events '.dport')" = 5002 ]
}

@test "a second capture on the interface is refused while the first runs" {
	cap_start --json
	run xdp-capture "$A" --count 1
	echo "$output"
	[ "$status" = 9 ]
	[ "$output" = "xdp-capture: error: $A: a capture runs there already (xdp-capture pid $CAP_PID): one at a time" ]
	xk_craft_in udp4 2
	sleep 0.3
	kill -TERM "$CAP_PID"
	cap_wait
	[ "$(wc -l <"$(OUT)")" = 2 ]
}

@test "a burst larger than the ring buffer: delivered + lost = sent, exactly, and said" {
	n=40000
	# a reader that stops reading: the ring buffer (4 MiB, ~12,700 events of
	# 256 bytes) fills
	setsid sh -c "xdp-capture $A --json --snaplen 256 --duration 12 2>$(ERR) | { sleep 5; cat >$(OUT); }" 3>&- &
	CAP_PID=$!
	cap_armed
	ip netns exec "$NS" python3 "$XK_TOP/tests/sendframes.py" "$B" "$n" 300
	cap_wait 20
	cat "$(ERR)"
	delivered=$(wc -l <"$(OUT)")
	lost=$(sed -n 's/.*events, \([0-9]*\) lost.*/\1/p' "$(ERR)")
	echo "delivered $delivered lost $lost"
	grep -qx "xdp-capture: $A: $delivered events, $lost lost (ring buffer full)" "$(ERR)"
	[ "$lost" -gt 0 ]
	[ $((delivered + lost)) = "$n" ]
	# and every line is whole
	[ "$(jq -c 'select(.caplen == 256 and (.payload | length) == 512)' "$(OUT)" | wc -l)" = "$delivered" ]
}

@test "--rate: at most N a second; those over it are counted, delivered + capped = sent" {
	cap_start --json --rate 5
	xk_craft_in udp4 40
	sleep 0.3
	kill -TERM "$CAP_PID"
	cap_wait
	cat "$(ERR)"
	delivered=$(wc -l <"$(OUT)")
	capped=$(sed -n 's/.*, \([0-9]*\) over the rate cap.*/\1/p' "$(ERR)")
	[ "$delivered" -ge 5 ] && [ "$delivered" -le 10 ]
	[ $((delivered + capped)) = 40 ]
}

@test "capture beside stats on the XDP hook: both exact, stats left as it was" {
	xdp-attach "$A" stats --hook xdp --mode native
	xk_craft_in udp4 3
	[ "$(xk_wait_count "$A" ingress udp 3)" = 3 ]
	cap_start --json --count 5
	xk_craft_in udp4 5
	cap_wait
	[ "$CAP_RC" = 0 ]
	[ "$(events '[.dir, .proto, .len]' | sort | uniq -c | sed 's/^ *//')" = '5 ["ingress","udp",62]' ]
	[ "$(xk_wait_count "$A" ingress udp 8)" = 8 ]
	[ "$(xdp-status "$A" --json | jq -c '[.features, .hook, .xdp.mode, .xdp.attached]')" = '[["stats"],"xdp","native",true]' ]
	[ "$(xk_g ingress capture_events)" = 5 ]
	[ "$(xk_g ingress capture_lost)" = 0 ]
}

@test "the helper under valgrind: no leaks, no errors, JSON and pcapng" {
	xdp-attach "$A" capture
	p=$(xk_pins "$A")
	XK_SHARE=$XK_TOP/lib sh -c '. "$XK_SHARE/xdpkit.sh"; xk_map_write "$1/capture" 0 "{\"match\": [\"ingress\", \"egress\"], \"snaplen\": 32}"' x "$p"
	for out in "" "--pcapng $BATS_TEST_TMPDIR/v.pcapng"; do
		# shellcheck disable=SC2086 # the option's words
		valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
			--suppressions="$XK_TOP/tests/valgrind.supp" \
			"$XK_TOP/build/xk-drain" --type packet --iface "$A" --stats "$p/capture_stats" --keepalive "$p/capture" \
			--count 3 $out "$p/packets" >"$(OUT)" 2>"$(ERR)" &
		CAP_PID=$!
		cap_armed
		xk_craft_in udp4 3
		cap_wait 30
		cat "$(ERR)"
		[ "$CAP_RC" = 0 ]
		grep -qx 'xk-drain: 3 events, 0 lost (ring buffer full)' "$(ERR)"
	done
	[ "$(jq -r .payload "$(OUT)" 2>/dev/null | wc -l)" = 0 ] || :
	[ "$(tcpdump -nr "$BATS_TEST_TMPDIR/v.pcapng" 2>/dev/null | wc -l)" = 3 ]
}

@test "bad xdp-capture arguments: one line, exit 2" {
	for a in "--count 0" "--snaplen 257" "--sample 0" "--proto tcpx" "--proto 256" "--proto TCP" "--port 0" \
		"--port 65536" "--host 1.2.3" "--host fd00::1::2" "--dir up" "--json --pcapng x" "--duration x"; do
		# shellcheck disable=SC2086 # the option's words
		run xdp-capture "$A" $a
		echo "$a: $output"
		[ "$status" = 2 ]
		[ "$(printf '%s\n' "$output" | wc -l)" = 1 ]
		case $output in "xdp-capture: error: "*) ;; *) false ;; esac
	done
	run xdp-capture
	[ "$status" = 2 ]
	run xdp-capture "$A" "$B"
	[ "$status" = 2 ]
	run xdp-capture nosuchif0
	[ "$status" = 4 ]
}
