#!/usr/bin/env bats
# Hostile input with every feature on: the corpus of tests/mkcorpus.py
# (truncations, lying lengths, extension chains, tags, fragments, TCP
# offsets, DNS traps) through every program by BPF_PROG_TEST_RUN and over a
# veth at both hooks, and a short run of make fuzz.

load helpers

CORPUS=$XK_TOP/build/test/corpus.pcap
LABELS=$XK_TOP/build/test/corpus.jsonl
FUZZ=$XK_TOP/build/test/xk-fuzz

setup() {
	xk_setup
	PIDS=""
}

teardown() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || :; done
	pkill -9 -f "xk-drain .*$XDPKIT_BPFFS" 2>/dev/null || :
	xk_teardown
}

# xdp-capture and xdp-dns on A, JSON into $BATS_TEST_TMPDIR/{cap,dns}.out,
# back once both are armed.
readers_start() {
	xdp-capture "$A" --json >"$BATS_TEST_TMPDIR/cap.out" 2>"$BATS_TEST_TMPDIR/cap.err" 3>&- &
	PIDS="$PIDS $!"
	xdp-dns "$A" --json >"$BATS_TEST_TMPDIR/dns.out" 2>"$BATS_TEST_TMPDIR/dns.err" 3>&- &
	PIDS="$PIDS $!"
	xk_capture_armed "$A"
	xk_dns_armed "$A"
}

# Stop them; check that every line is JSON and that each printed as many
# lines as it says it delivered, with none lost (lossy: any number lost);
# their counts in CAP, DNS.
readers_stop() { # [lossy]
	local p r n lost=0
	[ "${1:-}" != lossy ] || lost='[0-9]*'
	sleep 0.3
	for p in $PIDS; do kill -TERM "$p"; done
	for p in $PIDS; do wait "$p"; done
	PIDS=""
	for r in cap dns; do
		jq -c . "$BATS_TEST_TMPDIR/$r.out" >/dev/null
		n=$(wc -l <"$BATS_TEST_TMPDIR/$r.out")
		grep -q ": $n events, $lost lost" "$BATS_TEST_TMPDIR/$r.err" ||
			{ echo "$r: $n lines"; cat "$BATS_TEST_TMPDIR/$r.err"; return 1; }
	done
	CAP=$(wc -l <"$BATS_TEST_TMPDIR/cap.out")
	DNS=$(wc -l <"$BATS_TEST_TMPDIR/dns.out")
}

@test "the corpus through every program by BPF_PROG_TEST_RUN, every feature on: each frame passes, classed and counted as labelled" {
	[ "$(wc -l <"$LABELS")" -ge 200 ]
	xdp-attach "$A" count stats capture dns
	readers_start
	local hook runs=0 dns=0
	for hook in xdp tc_in egress; do
		"$FUZZ" "$(xk_pins "$A")" "$hook" --each "$CORPUS" >"$BATS_TEST_TMPDIR/$hook"
		# frame by frame: the label, the return code, one capture each;
		# at tc the kernel runs no IP frame shorter than its IP header
		jq -nr --arg hook "$hook" --slurpfile l "$LABELS" '[inputs] as $g
			| range(0; $l | length) as $i | $l[$i] as $w | $g[$i] as $r
			| if $r.refused then
				select($hook == "xdp" or $r.bad != ""
					or ($w.class != "parse_errors"))
			  else
				select($r.class != $w.class or $r.dns != $w.dns
					or $r.captured != 1 or $r.bad != "")
			  end
			| "\($hook) \($w.name): want \($w.class)|\($w.dns) got \($r)"' \
			"$BATS_TEST_TMPDIR/$hook" >"$BATS_TEST_TMPDIR/wrong"
		if [ -s "$BATS_TEST_TMPDIR/wrong" ]; then cat "$BATS_TEST_TMPDIR/wrong"; return 1; fi
		runs=$((runs + $(jq -s 'map(select(.refused | not)) | length' "$BATS_TEST_TMPDIR/$hook")))
		dns=$((dns + $(jq -s 'map(select(.refused | not) | select(.dns != "")) | length' \
			"$BATS_TEST_TMPDIR/$hook")))
	done
	[ "$(jq -s 'map(select(.refused | not)) | length' "$BATS_TEST_TMPDIR/xdp")" -eq "$(wc -l <"$LABELS")" ]
	readers_stop
	# one capture event per frame run, one DNS event per message counted
	[ "$CAP" -eq "$runs" ]
	[ "$DNS" -eq "$dns" ]
	# and the operator's view adds up: xdp-stats, every class per direction
	xdp-stats "$A" --json >"$BATS_TEST_TMPDIR/stats"
	jq -s -e 'map(select(.type == "global")) | length == 2 and all(
		.ipv4 + .ipv6 + .non_ip + .parse_errors == .packets
		and .tcp + .udp + .icmp + .other == .ipv4 + .ipv6)' "$BATS_TEST_TMPDIR/stats"
}

# Send the corpus into A from B and out of A, tcpdump on A by direction
# ($BATS_TEST_TMPDIR/{in,out}.pcap); the frames it saw in FILE.{in,out}
# (a key a line: original length and the first 128 bytes in hex).
corpus_send() { # FILE
	local n d
	xk_tcpdump_start
	n=$(ip netns exec "$NS" python3 "$XK_TOP/tests/sendpcap.py" "$B" "$CORPUS")
	[ "$n" -eq "$(wc -l <"$LABELS")" ]
	[ "$(python3 "$XK_TOP/tests/sendpcap.py" "$A" "$CORPUS")" -eq "$n" ]
	xk_tcpdump_stop
	for d in in out; do
		frame_keys "$BATS_TEST_TMPDIR/$d.pcap" | sort >"$1.$d"
	done
}
frame_keys() { python3 "$XK_TOP/tests/pcaphex.py" "$1" | awk '{ print $2 "/" substr($3, 1, 256) }'; }

# The sums of the labels of the frames whose keys are in FILE (all: ""),
# by the label CLASS (default class; tc_rx: received at tc).
label_sums_of() { # FILE CLASS
	local keys=$BATS_TEST_TMPDIR/corpus.keys
	[ -s "$keys" ] || frame_keys "$CORPUS" >"$keys"
	jq -n --rawfile k "$keys" --rawfile seen "${1:-$keys}" --slurpfile l "$LABELS" --arg c "${2:-class}" '
		($seen | split("\n") | map({(.): true}) | add) as $s
		| [$k | split("\n")[:-1], $l] | transpose | map(select($s[.[0]]) | .[1])
		| reduce .[] as $f ({packets: 0};
			.packets += 1
			| reduce ($f[$c] | split(" ")[]) as $x (.; .[$x] += 1)
			| if $f.dns != "" then .[$f.dns] += 1 else . end)'
}

# The counters of A in direction DIR equal the sums WANT.
counters_are() { # DIR WANT
	jq -s -e --arg d "$1" --argjson w "$2" '
		(map(select(.type == "global" and .dir == $d))[0] as $g
		| ["packets", "ipv4", "ipv6", "non_ip", "tcp", "udp", "icmp", "other",
		   "fragments", "parse_errors"] | all($g[.] == ($w[.] // 0)))
		and (map(select(.type == "dns_stats" and .dir == $d))[0] as $s
		| ["queries", "responses", "malformed"] | all($s[.] == ($w[.] // 0)))' \
		"$BATS_TEST_TMPDIR/stats" ||
		{ echo "$1: want $2"; jq -c "select(.dir == \"$1\" and (.type == \"global\" or .type == \"dns_stats\"))" \
			"$BATS_TEST_TMPDIR/stats"; return 1; }
}

# HOOK: the corpus with nothing attached, then with every feature on:
# tcpdump sees the same frames both times (xdpkit drops none), and A's
# counters equal the labels of the frames the hook saw: at XDP every frame
# sent, at tc ingress those the kernel kept up to there (it drops a frame
# whose VLAN tag is cut before taps and tc: tcpdump's frames); egress, all.
corpus_over_veth() { # HOOK ATTACH-ARGS...
	local hook=$1 want_in want_out n
	shift
	corpus_send "$BATS_TEST_TMPDIR/bare"
	xdp-attach "$A" count stats capture dns "$@"
	readers_start
	corpus_send "$BATS_TEST_TMPDIR/xk"
	cmp "$BATS_TEST_TMPDIR/bare.in" "$BATS_TEST_TMPDIR/xk.in"
	cmp "$BATS_TEST_TMPDIR/bare.out" "$BATS_TEST_TMPDIR/xk.out"
	readers_stop
	xdp-stats "$A" --json >"$BATS_TEST_TMPDIR/stats"
	if [ "$hook" = xdp ]; then want_in=$(label_sums_of); else want_in=$(label_sums_of "$BATS_TEST_TMPDIR/xk.in" tc_rx); fi
	want_out=$(label_sums_of "$BATS_TEST_TMPDIR/xk.out")
	counters_are ingress "$want_in"
	counters_are egress "$want_out"
	[ "$(echo "$want_out" | jq .packets)" -eq "$(wc -l <"$LABELS")" ]
	# one capture event per frame the hooks saw, one DNS event per message
	n=$(jq -n --argjson i "$want_in" --argjson o "$want_out" '$i.packets + $o.packets')
	[ "$CAP" -eq "$n" ]
	n=$(jq -n --argjson i "$want_in" --argjson o "$want_out" \
		'[$i, $o | .queries, .responses, .malformed | values] | add')
	[ "$DNS" -eq "$n" ]
}

@test "the corpus over a veth, native XDP ingress and tc egress: xdpkit drops no frame, totals equal the labels" {
	corpus_over_veth xdp --hook xdp --mode native
	# XDP saw every frame
	[ "$(jq -s 'map(select(.type == "global" and .dir == "ingress"))[0].packets' "$BATS_TEST_TMPDIR/stats")" \
		-eq "$(wc -l <"$LABELS")" ]
}

@test "the corpus over a veth, tc ingress and egress: xdpkit drops no frame, totals equal the labels" {
	corpus_over_veth tc --hook tc
}

@test "make fuzz, short: 100,000 random and mutated frames per program, every invariant held" {
	run sh "$XK_TOP/tests/fuzz.sh" 100000
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "fuzz: 300000 frames, every invariant held" ]
}

VG() {
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--suppressions="$XK_TOP/tests/valgrind.supp" "$@"
}

@test "hostile ring-buffer records for capture, DNS and the tracker: valid JSON and pcapng, short ones counted, no read past a record (valgrind)" {
	local d=$XDPKIT_BPFFS/rec t m n k out
	mkdir -p "$d"
	bpftool prog loadall "$XK_TOP/build/test/records.bpf.o" "$d/p" pinmaps "$d/m"
	bpftool prog loadall "$XK_TOP/build/test/records_ct.bpf.o" "$d/ctp" pinmaps "$d/ctm"
	for t in packet dns tcp; do
		m=$d/m/packets p=$d/p/records_$t k=4000
		[ "$t" = dns ] && m=$d/m/dns_events
		# (the tracker's ring is 1 MiB: 2,000 records fit)
		[ "$t" = tcp ] && m=$d/ctm/ct_events p=$d/ctp/records_tcp k=2000
		# records of 14 to 511 bytes, random and mostly-zero: the ring
		# holds them all until the reader comes
		"$FUZZ" --prog "$p" "$k" --seed 11
		out=$BATS_TEST_TMPDIR/$t
		XK_DRAIN_EXACT=1 VG "$XK_TOP/build/xk-drain" --type "$t" --prog "$p" \
			--duration 2 "$m" >"$out.json" 2>"$out.err" || { cat "$out.err"; return 1; }
		jq -c . "$out.json" >/dev/null
		n=$(wc -l <"$out.json")
		# every record either printed or counted as too short, never both
		grep -Eq ": $n events, $((k - n)) records too short for struct xk_$t\$" "$out.err" ||
			{ echo "$n lines"; cat "$out.err"; return 1; }
		[ "$n" -gt $((k / 4)) ]
	done
	# the same as pcapng: tshark and tcpdump read every frame
	"$FUZZ" --prog "$d/p/records_packet" 4000 --seed 12
	XK_DRAIN_EXACT=1 VG "$XK_TOP/build/xk-drain" --type packet --prog "$d/p/records_packet" \
		--duration 2 --pcapng "$BATS_TEST_TMPDIR/r.pcapng" "$d/m/packets" 2>"$BATS_TEST_TMPDIR/r.err"
	n=$(sed -n 's/.*: \([0-9]*\) events,.*/\1/p' "$BATS_TEST_TMPDIR/r.err")
	[ "$(tcpdump -r "$BATS_TEST_TMPDIR/r.pcapng" --count 2>/dev/null)" = "$n packets" ]
	[ "$(tshark -r "$BATS_TEST_TMPDIR/r.pcapng" 2>/dev/null | wc -l)" -eq "$n" ]
}

@test "hostile values in every table: xk-dump (valgrind), xdp-stats, xdp-status, xdp-prom, xdp-snapshot all print what they read, exit 0" {
	local m p
	xdp-attach "$A" count stats capture dns
	p=$(xk_pins "$A")
	for m in global protos flows ports dns_stats dns_rcodes dns_qtypes dns_pending capture_stats; do
		"$FUZZ" --scramble "$p/$m" --seed 5 >/dev/null
		VG "$XK_TOP/build/xk-dump" "$p/$m" 2>"$BATS_TEST_TMPDIR/err" >"$BATS_TEST_TMPDIR/$m" ||
			{ echo "$m"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
		jq -c . "$BATS_TEST_TMPDIR/$m" >/dev/null
	done
	# a table of sets prints one line per slot it holds (or less: slots
	# folded by key), never more
	[ "$(wc -l <"$BATS_TEST_TMPDIR/flows")" -le "$(bpftool -j map show pinned "$p/flows" | jq '.max_entries * 8 * 2')" ]
	xdp-stats "$A" --json >"$BATS_TEST_TMPDIR/stats"
	jq -c . "$BATS_TEST_TMPDIR/stats" >/dev/null
	xdp-stats "$A" >/dev/null
	xdp-status "$A" --json | jq -e '.present and .health == "ok"' >/dev/null
	xdp-prom "$A" >"$BATS_TEST_TMPDIR/prom"
	promtool check metrics <"$BATS_TEST_TMPDIR/prom"
	xdp-snapshot "$A" --dir "$BATS_TEST_TMPDIR/snap" >/dev/null
	jq -c . "$BATS_TEST_TMPDIR"/snap/*.jsonl >/dev/null
}

# VmRSS of a process, in KiB.
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# N frames from B by trafgen, one in three of each: a heavy flow
# (198.18.70.9:4000), random sources (198.18/15, 131,072 of them) to UDP
# port 9, and DNS queries from random sources to 198.18.70.1:53.
flood_in() { # N
	local ma mb r
	ma=$(cat "/sys/class/net/$A/address")
	mb=$(ip netns exec "$NS" cat "/sys/class/net/$B/address")
	r="eth(da=$ma, sa=$mb, type=0x0800), 0x45, 0, 0"
	ip netns exec "$NS" trafgen -o "$B" -q -P 1 -n "$1" "
		{ eth(da=$ma, sa=$mb), ipv4(sa=198.18.70.9, da=198.18.70.1, ttl=64), udp(sp=4000, dp=9, csum=0), fill(0x00, 18) }
		{ $r, 46, 0, 0, 0, 0, 64, 17, csumip(14, 33), 198, 18, drnd(), drnd(), 198, 18, 70, 1,
		  0x10, 0x00, 0, 9, 0, 26, 0, 0, fill(0x00, 18) }
		{ $r, 47, 0, 0, 0, 0, 64, 17, csumip(14, 33), 198, 19, drnd(), drnd(), 198, 18, 70, 1,
		  0x10, 0x00, 0, 53, 0, 27, 0, 0, drnd(), drnd(), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		  1, 0x61, 0, 0, 1, 0, 1 }" >/dev/null
}

tx_packets() { ip -n "$NS" -j -s link show "$B" | jq '.[0].stats64.tx.packets'; }

@test "a flow-table flood (131,072 sources, 256 slots) with every feature on and the readers stopped: totals exact, evictions counted, the heavy flow on top, lost counted exactly, memory flat" {
	xdp-attach "$A" count stats capture dns --hook xdp --mode native --flows 256
	readers_start
	local p tx0 tx1 g cap_pid dns_pid rss1 rss2 mem0 slots round
	p=$(xk_pins "$A")
	mem0=$(xdp-status "$A" --json | jq '.memory')
	cap_pid=$(pgrep -f "xk-drain --type packet .*$XDPKIT_BPFFS")
	dns_pid=$(pgrep -f "xk-drain --type dns .*$XDPKIT_BPFFS")
	for round in 1 2; do
		# the readers stopped for the burst: both rings overflow
		kill -STOP "$cap_pid" "$dns_pid"
		tx0=$(tx_packets)
		flood_in 150000
		tx1=$(tx_packets)
		kill -CONT "$cap_pid" "$dns_pid"
		[ $((tx1 - tx0)) -eq 150000 ]
		sleep 1
		[ "$round" = 1 ] && rss1="$(rss "$cap_pid") $(rss "$dns_pid")"
	done
	rss2="$(rss "$cap_pid") $(rss "$dns_pid")"
	# and they keep up again: a burst while they read loses nothing more
	g=$(xdp-stats "$A" --json | jq -c 'select(.type == "global" and .dir == "ingress")')
	flood_in 3000
	sleep 1
	readers_stop lossy
	xdp-stats "$A" --json >"$BATS_TEST_TMPDIR/stats"
	jq -c 'select(.type == "global" and .dir == "ingress")' "$BATS_TEST_TMPDIR/stats"
	# every frame counted, as the peer sent them: 303,000, a third each
	jq -s -e 'map(select(.type == "global" and .dir == "ingress"))[0]
		| .packets == 303000 and .udp == 303000 and .parse_errors == 0
		  and .flow_evictions > 100000
		  and .capture_events + .capture_lost == 303000 and .capture_lost > 0' "$BATS_TEST_TMPDIR/stats"
	jq -s -e 'map(select(.type == "dns_stats" and .dir == "ingress"))[0]
		| .queries == 101000 and .events + .lost == 101000 and .lost > 0' "$BATS_TEST_TMPDIR/stats"
	# the last burst: nothing lost while the readers ran
	jq -s -e --argjson g "$g" 'map(select(.type == "global" and .dir == "ingress"))[0]
		| .capture_lost == $g.capture_lost' "$BATS_TEST_TMPDIR/stats"
	# what the readers printed is what they say they delivered, and what
	# the datapath counted as written
	[ "$CAP" -eq "$(jq -s 'map(select(.type == "global" and .dir == "ingress"))[0].capture_events' "$BATS_TEST_TMPDIR/stats")" ]
	[ "$DNS" -eq "$(jq -s 'map(select(.type == "dns_stats" and .dir == "ingress"))[0].events' "$BATS_TEST_TMPDIR/stats")" ]
	# created - evicted = the slots in use; the heavy flow first
	slots=$("$XK_TOP/build/xk-dump" --count "$p/flows" | jq .entries)
	jq -s -e --argjson s "$slots" 'map(select(.type == "global"))
		| (map(.flows_created) | add) - (map(.flow_evictions) | add) == $s' "$BATS_TEST_TMPDIR/stats"
	[ "$(xdp-stats "$A" --json --sort packets --top 1 | jq -r 'select(.type == "flow") | .src')" = 198.18.70.9 ]
	# memory: the tables as sized at attach, the readers as after the first burst
	[ "$(xdp-status "$A" --json | jq '.memory')" = "$mem0" ]
	echo "reader RSS after burst 1: $rss1 KiB, after burst 2: $rss2 KiB"
	set -- $rss1 $rss2
	[ $(($3 - $1)) -le 64 ] && [ $(($4 - $2)) -le 64 ]
}

@test "make soak, short: 45 s of mixed traffic with every feature on, readers restarted, snapshots, Prometheus: every check held" {
	run sh "$XK_TOP/tests/soak.sh" 45
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "soak: every check held" ]
}
