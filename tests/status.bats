#!/usr/bin/env bats
# xdp-status and xdp-check: what they report about real attachments, and
# their exit statuses.

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

@test "status of a healthy attachment: every field, exit 0" {
	xdp-attach "$A" count --mode generic
	run xdp-status "$A" --json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	s=$output
	xdp_id=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	tc_id=$(tc -j filter show dev "$A" egress | jq '.[] | select(.options.prog) | .options.prog.id')
	[ "$(jq -r .type <<<"$s")" = status ]
	[ "$(jq -r .health <<<"$s")" = ok ]
	[ "$(jq -c .problems <<<"$s")" = '[]' ]
	[ "$(jq -c .features <<<"$s")" = '["count"]' ]
	[ "$(jq -r .xdp.mode <<<"$s")" = generic ]
	[ "$(jq .xdp.prog_id <<<"$s")" = "$xdp_id" ]
	[ "$(jq .tc.prog_id <<<"$s")" = "$tc_id" ]
	[ "$(jq .ifindex <<<"$s")" = "$(cat "/sys/class/net/$A/ifindex")" ]
	[ "$(jq -r .pins <<<"$s")" = "$(xk_pins "$A")" ]
	[ "$(jq -c '[.netns, .netns_id]' <<<"$s")" = "[null,$(xk_nsid)]" ]
	[ "$(jq -r .object.ingress_tag <<<"$s")" = "$(bpftool -j prog show id "$xdp_id" | jq -r .tag)" ]
	# count only: the tables have one set (two slots) on each CPU
	n=$(tr , '\n' </sys/devices/system/cpu/possible | awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')
	[ "$(jq -c '.maps | map([.name, .map_type, .entries, .max_entries, .slots, .capacity])' <<<"$s")" = \
		"[[\"capture\",\"array\",1,1,null,null],[\"capture_buf\",\"percpu_array\",1,1,null,null],[\"capture_state\",\"array\",1,1,null,null],[\"capture_stats\",\"percpu_array\",2,2,null,null],[\"clock\",\"percpu_array\",1,1,null,null],[\"config\",\"array\",1,1,null,null],[\"dns\",\"array\",1,1,null,null],[\"dns_buf\",\"percpu_array\",1,1,null,null],[\"dns_events\",\"ringbuf\",null,4096,null,null],[\"dns_pending\",\"array\",0,1,4,4],[\"dns_qtypes\",\"percpu_array\",512,512,null,null],[\"dns_rcodes\",\"percpu_array\",16,16,null,null],[\"dns_stats\",\"percpu_array\",2,2,null,null],[\"dns_sweep\",\"array\",1,1,null,null],[\"flows\",\"percpu_array\",0,1,2,$((2 * n))],[\"global\",\"percpu_array\",2,2,null,null],[\"packets\",\"ringbuf\",null,4096,null,null],[\"ports\",\"percpu_array\",0,1,2,$((2 * n))],[\"protos\",\"percpu_array\",256,256,null,null]]" ]
	# capture and dns: never run
	[ "$(jq -c .capture <<<"$s")" = '{"running":false,"pid":null,"deadline":null,"events":0,"lost":0,"capped":0}' ]
	[ "$(jq -c .dns <<<"$s")" = '{"on":false,"running":false,"pid":null,"deadline":null,"queries":0,"responses":0,"answered":0,"timeouts":0,"malformed":0,"events":0,"lost":0}' ]
	# memory: the kernel's figure per map, and their sum
	[ "$(jq '.maps[] | select(.name == "protos") | .memory' <<<"$s")" = \
		"$(bpftool -j map show pinned "$(xk_pins "$A")/protos" | jq .bytes_memlock)" ]
	[ "$(jq '.memory == ([.maps[].memory] | add)' <<<"$s")" = true ]
	now=$(date +%s)
	[ "$(jq ".attached_at <= $now and .attached_at > $now - 60" <<<"$s")" = true ]
}

@test "status human text names mode, programs and maps" {
	xdp-attach "$A" count --mode native
	run xdp-status "$A"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "$A: ok, features count, attached "*" UTC" ]]
	[[ "${lines[1]}" == "  xdp native prog "*", tc egress prog "* ]]
	n=$(tr , '\n' </sys/devices/system/cpu/possible | awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')
	[ "${lines[2]}" = "  capture: off; 0 events, 0 lost (ring buffer full) since attach" ]
	[[ "${lines[3]}" == "  maps: capture 1/1, capture_buf 1/1, capture_state 1/1, capture_stats 2/2, clock 1/1, config 1/1, dns 1/1, dns_buf 1/1, dns_events ring of 4 KiB, dns_pending 0/4, dns_qtypes 512/512, dns_rcodes 16/16, dns_stats 2/2, dns_sweep 1/1, flows 0/$((2 * n)), global 2/2, packets ring of 4 KiB, ports 0/$((2 * n)), protos 256/256; memory "*" KiB" ]]
}

@test "status: XDP program removed behind xdpkit's back is degraded, exit 1" {
	xdp-attach "$A" count --mode native
	ip link set dev "$A" xdpdrv off
	run xdp-status "$A" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .health <<<"$output")" = degraded ]
	[ "$(jq -c .problems <<<"$output")" = '["XDP program not attached"]' ]
}

@test "status: a foreign program in xdpkit's place is named" {
	xdp-attach "$A" count --mode generic
	ip link set dev "$A" xdpgeneric off
	ip link set dev "$A" xdpgeneric pinned "$(xk_foreign_xdp)"
	id=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	run xdp-status "$A" --json
	[ "$status" -eq 1 ]
	[ "$(jq -c .problems <<<"$output")" = "[\"XDP program $id (xdpkit_pass) is not xdpkit's\"]" ]
}

@test "status: pins of an interface that is gone are stale, exit 1" {
	xdp-attach "$A" count
	ip link del "$A"
	run xdp-status "$A" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .health <<<"$output")" = stale ]
	[ "$(jq -c .problems <<<"$output")" = "[\"interface $A does not exist\"]" ]
}

@test "status without IFACE lists every attachment and foreign XDP programs" {
	xdp-attach "$A" count --ingress-only
	ip link add "${A}x" type veth peer name "${B}x" netns "$NS"
	ip link set dev "${A}x" xdpgeneric pinned "$(xk_foreign_xdp)"
	run xdp-status --json
	ip link del "${A}x"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.type == "status") | [.iface, .health, .tc]' <<<"$output")" = "[\"$A\",\"ok\",null]" ]
	[ "$(jq -c 'select(.type == "foreign" and .iface == "'"${A}x"'") | [.mode, .name]' <<<"$output")" = '["generic","xdpkit_pass"]' ]
}

@test "xdp-check: every hard check passes here; JSON lines parse; per interface facts" {
	run xdp-check "$A" lo --json
	[ "$status" -eq 0 ]
	for l in "${lines[@]}"; do jq -e . <<<"$l" >/dev/null; done
	[ "$(jq -sc '[.[] | select(.type == "check" and .hard and (.ok | not))] | length' <<<"$output")" = 0 ]
	[ "$(jq -sc '[.[] | select(.type == "check") | .check]' <<<"$output")" = \
		'["kernel","btf","bpffs","jit","root","cgroup2","bpftool","ip","tc","jq","flock","clang","ethtool"]' ]
	[ "$(jq -c "select(.type == \"iface\" and .iface == \"$A\") | [.driver, .native_xdp, .rx_vlan_offload, .xdp]" <<<"$output")" = \
		"[\"veth\",true,\"$(ethtool -k "$A" | awk -F': ' '$1 == "rx-vlan-offload" { split($2, a, " "); print a[1] }')\",null]" ]
	[ "$(jq -c 'select(.type == "iface" and .iface == "lo") | [.driver, .native_xdp]' <<<"$output")" = '["none",false]' ]
	[ "$(jq -c "select(.type == \"iface\" and .iface == \"$A\") | [.auto_hook, .mtu, .mtu_warning]" <<<"$output")" = '["tc",1500,null]' ]
}

@test "xdp-check warns where the MTU is more than native XDP takes from xdpkit's program; --hook xdp fails there, auto works" {
	ip -n "$NS" link set dev "$B" mtu 9000
	ip link set dev "$A" mtu 9000
	run xdp-check "$A"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "warn  $A "*" MTU 9000: native XDP refuses it to a program without frags support (xdpkit's); --hook xdp fails here, tc works" ]]
	# on a veth whose peer is in the same namespace, the peer's MTU is what
	# native XDP is judged by
	ip -n "$NS" link add "${B}p" type veth peer name "${B}q"
	ip -n "$NS" link set "${B}q" mtu 9000
	run xdp-check "${B}p" "${B}q" --netns "$NS" --json
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.type == "iface") | [.iface, .mtu, .mtu_warning]' <<<"$output")" = "$(printf '%s\n' \
		"[\"${B}p\",9000,\"MTU 9000 (its veth peer's): native XDP refuses it to a program without frags support (xdpkit's); --hook xdp fails here, tc works\"]" \
		"[\"${B}q\",1500,null]")" ]
	run xdp-check nosuch --netns "$NS"
	[ "$status" -eq 4 ]
	[ "$output" = "xdp-check: error: nosuch: no such interface in network namespace $NS" ]
	run xdp-attach "$A" count --hook xdp --mode native
	[ "$status" -eq 6 ]
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	xk_send_in 3 8000
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	[ "$(xk_count "$A" ingress bytes)" = 24000 ]
}

@test "xdp-check reports rx VLAN offload and an attached program, never attaches" {
	ethtool -K "$A" rxvlan on
	run xdp-check "$A"
	[ "$status" -eq 0 ]
	[[ "${lines[-2]}" == "iface $A"*"driver veth"*"native XDP yes"*"rx-vlan-offload on (XDP sees no VLAN tags)" ]]
	[[ "${lines[-1]}" == *" auto hook tc: a virtual device (veth): tc keeps its GSO and GRO; native XDP would cost most of its bulk throughput" ]]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	xdp-attach "$A" count --mode generic
	run xdp-check "$A" --json
	[ "$(jq -c 'select(.type == "iface") | .xdp | [.mode, .name]' <<<"$output")" = '["generic","xdpkit_ingress"]' ]
}

@test "xdp-check as non-root: root check fails, exit 3, fix given" {
	run xk_as_nobody "$XK_TOP/bin/xdp-check" lo
	[ "$status" -eq 3 ]
	[[ "$output" == *"FAIL  root "*"fix: run as root (sudo)"* ]]
}

@test "status lists what runs before xdpkit's filters: a tcx link, a filter of a lower preference; counting goes on past them" {
	mkdir -p "$XK_FOREIGN"
	bpftool prog load "$XK_TOP/build/tcpass.bpf.o" "$XK_FOREIGN/tcpass"
	# a filter there before the attach: the attach says so
	tc qdisc add dev "$A" clsact
	tc filter add dev "$A" ingress pref 9 bpf direct-action object-pinned "$XK_FOREIGN/tcpass"
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"xdp-attach: $A: tc pref 9 prog "*" (xdpkit_tcpass) runs before xdpkit's tc ingress filter: what it drops, redirects or ends with a verdict is not counted"* ]]
	tc filter del dev "$A" ingress pref 9
	tcpass=$(bpftool -j prog show pinned "$XK_FOREIGN/tcpass" | jq .id)
	/usr/bin/python3 "$XK_TOP/tests/tcx.py" "$XK_FOREIGN/tcpass" "$A" ingress "$XK_FOREIGN/link"
	tc filter add dev "$A" egress pref 7 bpf direct-action object-pinned "$XK_FOREIGN/tcpass"
	run xdp-status "$A" --json
	echo "$output"
	[ "$status" -eq 0 ]
	link=$(bpftool -j link show pinned "$XK_FOREIGN/link" | jq .id)
	# bpftool 7.3 and later place a tcx link (bpftool net); 7.1 (Debian 12)
	# shows it without interface or direction
	if bpftool -j net show dev "$A" | jq -e '.[0].tc | any(.kind == "tcx/ingress")' >/dev/null; then
		[ "$(jq -c '[.before.ingress[] | select(.prog_id == '"$tcpass"') | [.hook, .name]]' <<<"$output")" = '[["tcx","xdpkit_tcpass"]]' ]
		where="before xdpkit on ingress: tcx prog $tcpass (xdpkit_tcpass): what it drops, redirects or ends with a verdict is not counted"
	else
		[ "$(jq -c '.before.unplaced' <<<"$output")" = "[{\"hook\":\"tcx\",\"link_id\":$link,\"prog_id\":$tcpass,\"name\":\"xdpkit_tcpass\"}]" ]
		[ "$(jq -c '.before.ingress' <<<"$output")" = '[]' ]
		where="note: tcx links on this host, interface unknown (bpftool before 7.3 does not say): link $link prog $tcpass (xdpkit_tcpass); one on this interface would run before xdpkit's filters"
	fi
	[ "$(jq -c '.before.egress | map(select(.hook == "tc"))' <<<"$output")" = "[{\"hook\":\"tc\",\"pref\":7,\"prog_id\":$tcpass,\"name\":\"xdpkit_tcpass\"}]" ]
	run xdp-status "$A"
	[[ "$output" == *"$where"* ]]
	[[ "$output" == *"before xdpkit on egress: tc pref 7 prog $tcpass (xdpkit_tcpass): what it drops, redirects or ends with a verdict is not counted"* ]]
	# both return "next": xdpkit still counts everything
	xk_send_in 3 100
	xk_send_out 2 60
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	[ "$(xk_wait_count "$A" egress packets 2)" = 2 ]
	rm -f "$XK_FOREIGN/link"
	[ "$(xdp-status "$A" --json | jq -c '[.before.ingress, .before.unplaced]')" = '[[],[]]' ]
}
