#!/usr/bin/env bats
# The stats feature over real traffic and crafted frames: per-flow counts
# equal tcpdump's, malformed frames are parse errors and never flows, a flood
# evicts exactly what it says, and xdp-stats' options and table behave.

load helpers

setup() {
	xk_setup
	SRV_PID=""
}

teardown() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	tmux kill-session -t "xk$XK_ID" 2>/dev/null || :
	xk_teardown
}

@test "real HTTP over IPv4 and IPv6, and UDP: every flow equals tcpdump's count, both directions" {
	xk_addrs 6
	xk_http_server 8080 :: 20000
	xdp-attach "$A" stats
	xk_tcpdump_start
	curl -s -o /dev/null --interface "$A" http://198.18.77.2:8080/file
	curl -s -o /dev/null --interface "$A" 'http://[fd00:db8:77::2]:8080/file'
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(7): s.sendto(b"u" * (100 + i), ("198.18.77.2", 5353))'
	xk_tcpdump_stop
	seen=$(xk_flows_seen)
	captured=$(xk_flows_captured)
	echo "seen:"; echo "$seen"; echo "captured:"; echo "$captured"
	[ "$seen" = "$captured" ]
	# both TCP connections, both directions, and the datagrams are there
	[ "$(jq -sc 'map(select(.proto == "tcp")) | map(.dir) | unique' <<<"$seen")" = '["egress","ingress"]' ]
	[ "$(jq -sc 'map(select(.proto == "tcp" and .dir == "egress")) | map(.dst) | unique' <<<"$seen")" = \
		'["198.18.77.2","fd00:db8:77::2"]' ]
	[ "$(jq -c 'select(.proto == "udp") | [.dir, .dport, .packets, .bytes]' <<<"$seen")" = \
		"[\"egress\",5353,7,$((7 * 142 + 21))]" ]
	# one connection per family to port 8080: two SYNs counted at that port
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "port" and .dir == "egress" and .port == 8080) | [.proto, .syns]')" = '["tcp",2]' ]
}

@test "ICMP and ICMPv6 echo: exact flows both ways" {
	xk_addrs 6
	xdp-attach "$A" stats
	xk_tcpdump_start
	ping -I "$A" -c 4 -i 0.2 -q 198.18.77.2 >/dev/null
	ping -6 -I "$A" -c 3 -i 0.2 -q fd00:db8:77::2 >/dev/null
	xk_tcpdump_stop
	[ "$(xk_flows_seen)" = "$(xk_flows_captured)" ]
	run xk_flows_seen
	[ "${lines[0]}" = '{"dir":"egress","proto":"icmp","src":"198.18.77.1","dst":"198.18.77.2","sport":0,"dport":0,"packets":4,"bytes":392}' ]
	[ "${lines[1]}" = '{"dir":"egress","proto":"icmpv6","src":"fd00:db8:77::1","dst":"fd00:db8:77::2","sport":0,"dport":0,"packets":3,"bytes":354}' ]
	[ "${lines[2]}" = '{"dir":"ingress","proto":"icmp","src":"198.18.77.2","dst":"198.18.77.1","sport":0,"dport":0,"packets":4,"bytes":392}' ]
	[ "${lines[3]}" = '{"dir":"ingress","proto":"icmpv6","src":"fd00:db8:77::2","dst":"fd00:db8:77::1","sport":0,"dport":0,"packets":3,"bytes":354}' ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "egress through tc: crafted UDP out of the interface, exact" {
	xdp-attach "$A" stats
	xk_craft_out udp4 6
	[ "$(xk_wait_count "$A" egress udp 6)" = 6 ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow") | [.dir, .src, .sport, .dst, .dport, .packets, .bytes]')" = \
		'["egress","198.18.9.1",40000,"198.18.9.2",53,6,372]' ]
	[ "$(xk_g ingress packets)" = 0 ]
}

@test "VLAN-tagged and QinQ frames: the inner addresses and ports, exact, as tcpdump counts" {
	ethtool -K "$A" gro off
	xdp-attach "$A" stats
	xk_tcpdump_start
	xk_craft_in vlan_udp4 5
	xk_craft_in qinq_udp4 3
	[ "$(xk_wait_count "$A" ingress udp 8)" = 8 ]
	xk_tcpdump_stop
	[ "$(xk_flows_seen)" = "$(xk_flows_captured)" ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow") | [.src, .sport, .dst, .dport, .proto, .packets, .bytes]')" = \
		"[\"198.18.9.1\",40000,\"198.18.9.2\",53,\"udp\",8,$((5 * 66 + 3 * 70))]" ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "port") | [.port, .proto, .packets]')" = '[53,"udp",8]' ]
	[ "$(xk_g ingress parse_errors)" = 0 ]
}

@test "IPv6 with a hop-by-hop header: the ports after it, SYNs counted" {
	xdp-attach "$A" stats
	xk_craft_in hbh_tcp6 3
	xk_craft_in tcp6 2
	[ "$(xk_wait_count "$A" ingress tcp 5)" = 5 ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow") | [.src, .sport, .dst, .dport, .packets, .tcp_flags]')" = \
		'["fd00:db8::1",40000,"fd00:db8::2",80,5,["SYN"]]' ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "port") | [.port, .packets, .syns]')" = '[80,5,5]' ]
	[ "$(xk_g ingress ipv6)" = 5 ]
}

@test "frames cut at every length from 14 to 53 bytes: 40 parse errors, no flow, no port" {
	xdp-attach "$A" stats
	for n in $(seq 14 53); do xk_craft_in trunc4 1 "$n"; done
	[ "$(xk_wait_count "$A" ingress packets 40)" = 40 ]
	[ "$(xk_g ingress parse_errors)" = 40 ]
	[ "$(xk_g ingress ipv4)" = 0 ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow" or .type == "port")')" = "" ]
	# and the whole frame, 54 bytes, is a flow
	xk_craft_in trunc4 1 54
	[ "$(xk_wait_count "$A" ingress tcp 1)" = 1 ]
}

@test "malformed headers are parse errors, never flows with wrong ports" {
	xdp-attach "$A" stats
	for f in ihl4 tcp_doff4 udp_len_short bad_hbh6 long_chain6; do xk_craft_in "$f" 2; done
	[ "$(xk_wait_count "$A" ingress parse_errors 10)" = 10 ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow" or .type == "port" or .type == "proto")')" = "" ]
	[ "$(xk_g ingress packets)" = 10 ]
}

@test "fragments: the first carries the ports, later ones are counted without" {
	xdp-attach "$A" stats
	xk_craft_in frag1_udp4 2
	xk_craft_in frag2_udp4 3
	xk_craft_in frag2_udp6 4
	[ "$(xk_wait_count "$A" ingress packets 9)" = 9 ]
	[ "$(xk_g ingress fragments)" = 7 ]
	[ "$(xk_g ingress parse_errors)" = 0 ]
	run sh -c "xdp-stats '$A' --json | jq -c 'select(.type == \"flow\") | [.src, .sport, .dst, .dport, .packets]' | sort"
	[ "${lines[0]}" = '["198.18.9.1",0,"198.18.9.2",0,3]' ]
	[ "${lines[1]}" = '["198.18.9.1",40000,"198.18.9.2",53,2]' ]
	[ "${lines[2]}" = '["fd00:db8::1",0,"fd00:db8::2",0,4]' ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "port") | [.port, .packets]')" = '[53,2]' ]
}

@test "the first fragment of a UDP datagram longer than the MTU is a flow and a port, IPv4 and IPv6" {
	xdp-attach "$A" stats
	xk_craft_in bigfrag1_udp4 2
	xk_craft_in bigfrag1_udp6 3
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	[ "$(xk_g ingress parse_errors)" = 0 ]
	[ "$(xk_g ingress udp)" = 5 ]
	run sh -c "xdp-stats '$A' --json | jq -c 'select(.type == \"flow\") | [.src, .dport, .packets]' | sort"
	[ "${lines[0]}" = '["198.18.9.1",5353,2]' ]
	[ "${lines[1]}" = '["fd00:db8::1",5353,3]' ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "port") | [.port, .packets]')" = '[5353,5]' ]
}

@test "a flood of more flows than the table holds: evictions exact, memory flat, totals exact" {
	xdp-attach "$A" stats --flows 256
	mem=$(bpftool -j map show pinned "$(xk_pins "$A")/flows" | jq .bytes_memlock)
	xk_craft_in flood 1 3000
	[ "$(xk_wait_count "$A" ingress packets 3000)" = 3000 ]
	json=$(xdp-stats "$A" --json)
	present=$(jq -s 'map(select(.type == "flow")) | length' <<<"$json")
	created=$(jq 'select(.type == "global" and .dir == "ingress") | .flows_created' <<<"$json")
	evicted=$(jq 'select(.type == "global" and .dir == "ingress") | .flow_evictions' <<<"$json")
	echo "present $present created $created evicted $evicted"
	# every frame was a new flow; what is not present was evicted, and counted
	[ "$created" -ge 3000 ]
	[ "$((created - evicted))" -eq "$present" ]
	[ "$present" -le $((256 * $(nproc))) ]
	[ "$evicted" -gt 0 ]
	[ "$(jq -s 'map(select(.type == "flow") | .packets) | add' <<<"$json")" = "$present" ]
	# the totals lose nothing
	[ "$(jq 'select(.type == "global" and .dir == "ingress") | .udp' <<<"$json")" = 3000 ]
	[ "$(jq -c 'select(.type == "port") | [.port, .packets]' <<<"$json")" = '[53,3000]' ]
	[ "$(jq -c 'select(.type == "proto") | [.proto, .packets]' <<<"$json")" = '["udp",3000]' ]
	[ "$(bpftool -j map show pinned "$(xk_pins "$A")/flows" | jq .bytes_memlock)" = "$mem" ]
}

@test "--json: every line parses and has a type; --dir, --top, --sort, --by select" {
	xdp-attach "$A" stats
	xk_craft_in udp4 5
	xk_craft_in tcp6 9
	xk_craft_out udp4 2
	[ "$(xk_wait_count "$A" ingress packets 14)" = 14 ]
	run xdp-stats "$A" --json
	[ "$status" -eq 0 ]
	for l in "${lines[@]}"; do jq -e '.type and .ts and .iface' <<<"$l" >/dev/null; done
	[ "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort -u | tr '\n' ' ')" = "flow global port proto size " ]
	[ "$(xdp-stats "$A" --json --dir egress | jq -r .dir | sort -u)" = egress ]
	[ "$(xdp-stats "$A" --json --top 1 --sort packets | jq -c 'select(.type == "flow") | [.proto, .packets]')" = '["tcp",9]' ]
	[ "$(xdp-stats "$A" --json --top 1 --sort bytes --dir ingress | jq -c 'select(.type == "flow") | [.proto, .packets]')" = '["tcp",9]' ]
	# size lines are Prometheus buckets: cumulative reaches the total
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "size" and .dir == "ingress" and .le == "+Inf") | .cumulative')" = 14 ]
	run xdp-stats "$A" --by sizes
	[ "$status" -eq 0 ]
	[[ "$output" == *"frame sizes (packets since attach)"* ]]
	[[ "$output" != *"top 10 flows"* ]]
}

@test "--interval: rates from two readings, exact for frames sent between them" {
	xdp-attach "$A" stats
	xk_craft_in udp4 3
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	xdp-stats "$A" --json --interval 2 >"$BATS_TEST_TMPDIR/rates" 3>&- &
	pid=$!
	sleep 0.8
	xk_craft_in udp4 10
	wait "$pid"
	# rates over the interval the two readings were really apart: times the
	# interval, the frames and bytes sent between them
	[ "$(jq -c 'select(.type == "flow") | [.packets, (.pps * .interval | round), (.bps * .interval / 8 | round)]' "$BATS_TEST_TMPDIR/rates")" = "[13,10,$((10 * 62))]" ]
	[ "$(jq -c 'select(.type == "global" and .dir == "ingress") | [(.pps * .interval | round), (.bps * .interval / 8 | round)]' "$BATS_TEST_TMPDIR/rates")" = "[10,$((10 * 62))]" ]
	[ "$(jq -c 'select(.type == "global" and .dir == "ingress") | .interval >= 2 and .interval < 2.5' "$BATS_TEST_TMPDIR/rates")" = true ]
}

@test "the table without rates (--interval 0): totals, protocol mix, top flows and ports, problems" {
	xdp-attach "$A" stats
	xk_craft_in udp4 3
	xk_craft_in tcp6 1
	xk_craft_in ihl4 1
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	run xdp-stats "$A" --interval 0
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" == "$A  "*" UTC  totals since "*" UTC ("*" s ago)" ]]
	[[ "${lines[1]}" =~ ^dir\ +packets\ +bytes$ ]]
	[[ "${lines[2]}" =~ ^ingress\ +5\ +322$ ]]
	[[ "$output" == *"ingress  tcp 20%  udp 60%  icmp 0%  other IP 0%  non-IP 0%  IPv6 20%  (packets since attach)"* ]]
	[[ "$output" == *"top 10 flows by bytes since attach"* ]]
	[[ "$output" =~ ingress\ +udp\ +198\.18\.9\.1:40000\ +198\.18\.9\.2:53\ +3\ +186 ]]
	[[ "$output" =~ ingress\ +tcp\ +\[fd00:db8::1\]:40000\ +\[fd00:db8::2\]:80\ +1\ +74\ +SYN ]]
	[[ "$output" == *"top 10 service ports by bytes since attach"* ]]
	[[ "$output" =~ ingress\ +udp\ +53\ +3\ +186\ +0 ]]
	[ "${lines[-1]}" = "note: ingress parse errors 1" ]
}

@test "the default table: rates over 1 s beside the totals, flows ranked by rate" {
	xdp-attach "$A" stats
	xk_craft_in tcp6 4
	xk_craft_in udp4 3
	[ "$(xk_wait_count "$A" ingress packets 7)" = 7 ]
	xdp-stats "$A" >"$BATS_TEST_TMPDIR/table" 3>&- &
	pid=$!
	sleep 0.4
	xk_craft_in udp4 10
	wait "$pid"
	run cat "$BATS_TEST_TMPDIR/table"
	echo "$output"
	[[ "${lines[0]}" == "$A  "*" UTC  rates over 1 s  totals since "* ]]
	[[ "${lines[1]}" =~ ^dir\ +pps\ +rate\ +packets\ +bytes$ ]]
	[[ "${lines[2]}" =~ ^ingress\ +(9\.[5-9]|10)\ +[0-9.]+\ kbit/s\ +17\ +1,102$ ]]
	[[ "$output" == *"top 10 flows by bytes/s"* ]]
	# the busy flow first, though the other has more bytes since attach
	flows=$(grep -A3 '^top 10 flows' <<<"$output")
	[[ "$(sed -n 3p <<<"$flows")" =~ ingress\ +udp\ +198\.18\.9\.1:40000\ +198\.18\.9\.2:53\ +(9\.[5-9]|10)\ +[0-9.]+\ kbit/s\ +13\ +806 ]]
	[[ "$(sed -n 4p <<<"$flows")" =~ ingress\ +tcp\ +.*\ +0\ +0\ bit/s\ +4\ +296\ +SYN ]]
}

@test "--watch in a terminal: redraws in place, restores the cursor on Ctrl-C" {
	xdp-attach "$A" stats
	xk_craft_in udp4 2
	log=$BATS_TEST_TMPDIR/raw
	tmux new-session -d -s "xk$XK_ID" -x 200 -y 50 \
		"XDPKIT_BPFFS=$XDPKIT_BPFFS XDPKIT_RUNDIR=$XDPKIT_RUNDIR script -q -c '$XK_TOP/bin/xdp-stats $A --watch --interval 1' $log; sleep 30"
	for _ in $(seq 50); do
		[ "$(grep -c 'rates over 1 s' <<<"$(tmux capture-pane -p -t "xk$XK_ID")")" -ge 1 ] &&
			[ "$(grep -o $'\e\\[H' "$log" | wc -l)" -ge 2 ] && break
		sleep 0.2
	done
	screen=$(tmux capture-pane -p -t "xk$XK_ID")
	echo "$screen"
	# one dashboard on the screen, drawn at least twice
	[ "$(grep -c 'rates over 1 s' <<<"$screen")" -eq 1 ]
	[ "$(grep -cE '^dir +pps +rate +packets' <<<"$screen")" -eq 1 ]
	[ "$(grep -o $'\e\\[H' "$log" | wc -l)" -ge 2 ]
	grep -q $'\e\\[?25l' "$log"
	tmux send-keys -t "xk$XK_ID" C-c
	# script(1) records the command's exit when it ends
	for _ in $(seq 25); do
		grep -q 'COMMAND_EXIT_CODE' "$log" && break
		sleep 0.2
	done
	grep -q 'COMMAND_EXIT_CODE="0"' "$log"
	# the cursor is shown again: the last escape sequence written
	[ "$(grep -ao $'\e\\[[?0-9;]*[A-Za-z]' "$log" | tail -n 1)" = $'\e[?25h' ]
}

@test "--watch without a terminal: one dashboard per interval, no escape codes" {
	xdp-attach "$A" stats
	xdp-stats "$A" --watch --interval 1 >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	for _ in $(seq 40); do
		[ "$(grep -c 'rates over 1 s' "$BATS_TEST_TMPDIR/out")" -ge 2 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || :
	[ "$(grep -c 'rates over 1 s' "$BATS_TEST_TMPDIR/out")" -ge 2 ]
	[ "$(grep -c $'\e' "$BATS_TEST_TMPDIR/out")" = 0 ]
}

@test "bad xdp-stats arguments: one line, exit 2" {
	for args in "--top x" "--top 0" "--sort size" "--by everything" "--dir up" "--interval -1" \
		"--interval 9999" "--json --watch" "--top" "--watch --interval 0"; do
		# shellcheck disable=SC2086
		run xdp-stats "$A" $args
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "xdp-stats: error: "* ]]
	done
}

@test "IPv6 BIG TCP at tc egress (payload length 0 on GSO packets over 64 KiB) counts as TCP, not as parse errors" {
	xk_addrs 6
	ip link set dev "$A" gso_max_size 185000
	ip -n "$NS" link set dev "$B" gro_max_size 185000
	xdp-attach "$A" stats
	ip netns exec "$NS" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd00:db8:77::2", 5001)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    n += len(d)
open(sys.argv[1], "w").write(str(n))' "$BATS_TEST_TMPDIR/got" &
	sleep 0.5
	/usr/bin/python3 -c '
import socket
s = socket.create_connection(("fd00:db8:77::2", 5001)); s.sendall(b"x" * (20 << 20)); s.close()'
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = $((20 << 20)) ]
	g=$(xdp-stats "$A" --json | jq -c 'select(.type == "global" and .dir == "egress")')
	echo "$g"
	[ "$(jq .parse_errors <<<"$g")" = 0 ]
	# counted as the frames on the wire: at least 20 MiB in MSS-sized segments
	[ "$(jq .tcp <<<"$g")" -ge $(((20 << 20) / 1440)) ]
	[ "$(xdp-stats "$A" --json | jq 'select(.type == "flow" and .dir == "egress" and .dport == 5001) | .bytes')" -gt $((20 << 20)) ]
}

# A TCP transfer of 4 MiB with the offloads at their defaults, counted in
# direction DIR of $A (attached already): as many frames as the sender's
# TCP_INFO says it sent, and their bytes. Egress: $A sends to the server in
# $NS; ingress: $B sends to a server on $A.
tcp_wire_count() { # DIR
	local n srv cli here there mss segs_out bytes_sent f p b g
	n=$((4 << 20))
	if [ "$1" = egress ]; then
		srv="ip netns exec $NS" cli="" there=198.18.77.2
	else
		srv="" cli="ip netns exec $NS" there=198.18.77.1
	fi
	# shellcheck disable=SC2086 # the namespace prefix, or nothing
	$srv /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], 5001)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    n += len(d)
c.close()
open(sys.argv[1], "w").write(str(n))' "$BATS_TEST_TMPDIR/got" "$there" &
	sleep 0.5
	# the sender's own account (TCP_INFO): its MSS, the segments it sent
	# (tcpi_segs_out: SYN, data, retransmissions, FIN, ACKs) and the data
	# bytes (tcpi_bytes_sent, retransmissions included)
	# shellcheck disable=SC2086
	$cli /usr/bin/python3 -c '
import socket, struct, sys, time
s = socket.create_connection((sys.argv[2], 5001))
s.sendall(b"x" * int(sys.argv[1])); s.shutdown(socket.SHUT_WR); s.recv(1); time.sleep(0.3)
i = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
print(struct.unpack_from("<I", i, 16)[0], struct.unpack_from("<I", i, 136)[0],
      struct.unpack_from("<Q", i, 200)[0])
s.close()' "$n" "$there" >"$BATS_TEST_TMPDIR/info"
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "$n" ]
	read -r mss segs_out bytes_sent <"$BATS_TEST_TMPDIR/info"
	sleep 0.3
	f=$(xdp-stats "$A" --json | jq -c --arg d "$1" 'select(.type == "flow" and .dir == $d and .dport == 5001)')
	echo "mss $mss segs_out $segs_out bytes_sent $bytes_sent flow $f"
	p=$(jq .packets <<<"$f")
	b=$(jq .bytes <<<"$f")
	# at least the data segments the MSS implies; exactly what the sender sent
	[ "$p" -ge $(((n + mss - 1) / mss)) ]
	[ "$p" -eq "$segs_out" ]
	# every frame is 14 + 20 + 32 bytes of headers (timestamps on), the SYN 8
	# more (its options), and the data
	[ "$b" -eq $((bytes_sent + 66 * p + 8)) ]
	# the frame-size histogram counts the same frames as the totals
	g=$(xdp-stats "$A" --json | jq -c --arg d "$1" 'select(.type == "global" and .dir == $d)')
	[ "$(jq .packets <<<"$g")" -ge "$p" ]
	[ "$(xdp-stats "$A" --json | jq -s --arg d "$1" 'map(select(.type == "size" and .dir == $d) | .packets) | add')" = "$(jq .packets <<<"$g")" ]
}

@test "a TCP transfer with the offloads at their defaults: tc egress counts the frames on the wire, not the GSO packets" {
	xk_addrs
	ethtool -k "$A" | grep -q '^tcp-segmentation-offload: on'
	xdp-attach "$A" stats
	tcp_wire_count egress
}

@test "a TCP transfer with the offloads at their defaults: tc ingress counts the frames on the wire, not the GSO packets" {
	xk_addrs
	ip netns exec "$NS" ethtool -K "$B" tso on gso on
	ip netns exec "$NS" ethtool -k "$B" | grep -q '^tcp-segmentation-offload: on'
	xdp-attach "$A" stats --hook tc
	tcp_wire_count ingress
}
