#!/usr/bin/env bats
# Upgrades and scopes: maps compared one by one, settings carried over by
# name, size changes refused, the layout before 0.3 adopted, interfaces in
# other network namespaces, and tc filters that share xdpkit's preference.

load helpers

setup() { xk_setup; }
teardown() {
	ip -n "$NS" link del "$A" 2>/dev/null || :
	xk_teardown
}

# A lib directory with the object of a test fixture as the datapath.
fixture_lib() { # NAME
	local lib=$BATS_TEST_TMPDIR/lib-$1
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$lib/"
	cp "$XK_TOP/build/test/$1.bpf.o" "$lib/xdpkit.bpf.o"
	echo "$lib"
}

# xk_map_write from lib/maps.sh, as the commands use it.
map_write() { # PIN JSON
	XK_SHARE=$XK_TOP/lib sh -c '. "$XK_SHARE/xdpkit.sh"; xk_map_write "$1" 0 "$2"' map_write "$@"
}

@test "an upgrade that adds a table, a settings map and a config field keeps every counter" {
	xdp-attach "$A" stats
	xk_addrs
	xk_craft_in udp4 7
	[ "$(xk_wait_count "$A" ingress packets 7)" = 7 ]
	flows_id=$(bpftool -j map show pinned "$(xk_pins "$A")/flows" | jq .id)
	lib=$(fixture_lib upgrade)
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"programs replaced, counters kept"* ]]
	[[ "$output" == *"features: count stats"* ]]
	d=$(xk_pins "$A")
	[ -e "$d/up_extra" ] && [ -e "$d/up_settings" ]
	[ "$(bpftool -j map show pinned "$d/flows" | jq .id)" = "$flows_id" ]
	[ "$(xk_count "$A" ingress packets)" = 7 ]
	[ "$(xdp-stats "$A" --json | jq -s 'map(select(.type == "flow")) | length')" = 1 ]
	# config was carried over by name into its new layout
	[ "$("$XK_TOP/build/xk-dump" "$d/config" | jq -c '[.features, .later_knob, .ifindex]')" = \
		"[[\"count\",\"stats\"],0,$(cat "/sys/class/net/$A/ifindex")]" ]
	run xdp-status "$A" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .health <<<"$output")" = ok ]
	xk_craft_in udp4 2
	[ "$(xk_wait_count "$A" ingress packets 9)" = 9 ]
}

@test "settings are written from JSON through BTF: address, port, array, nested struct, enum" {
	lib=$(fixture_lib upgrade)
	XDPKIT_LIBEXEC=$lib xdp-attach "$A" count
	pin=$(xk_pins "$A")/up_settings
	want='{"snaplen":96,"host":"fd00::1","port":53,"sample":[1,2,3,4],"ports":{"lo":1000,"hi":2000},"dir":"egress"}'
	map_write "$pin" "$want"
	[ "$("$XK_TOP/build/xk-dump" "$pin" | jq -c 'del(.type, .ts, .key)')" = "$want" ]
	map_write "$pin" '{"host":"198.18.0.9","port":8080}'
	[ "$("$XK_TOP/build/xk-dump" "$pin" | jq -c '[.host, .port, .snaplen, .sample]')" = '["198.18.0.9",8080,0,[0,0,0,0]]' ]
	run map_write "$pin" '{"host":"fd00::1::2"}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"not an address"* ]]
}

@test "a table whose layout changed is refused (exit 8) before anything changes; --recreate starts only it anew" {
	xdp-attach "$A" stats
	xk_addrs
	xk_craft_in udp4 5
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	old=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	lib=$(fixture_lib newslot)
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" stats
	[ "$status" -eq 8 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"changed pinned map flows (value layout)"* ]]
	[[ "$output" == *"--recreate"* ]]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$old" ]
	[ -z "$(ls -d "$(xk_pins "$A")"/_* 2>/dev/null)" ]
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" stats --recreate
	[ "$status" -eq 0 ]
	[[ "$output" == *"map flows starts anew (--recreate)"* ]]
	[ "$(xk_count "$A" ingress packets)" = 5 ]
	[ "$(XDPKIT_LIBEXEC=$lib xdp-stats "$A" --json | jq -s 'map(select(.type == "flow")) | length')" = 0 ]
	xk_craft_in udp4 1
	[ "$(xk_wait_count "$A" ingress packets 6)" = 6 ]
	[ "$(XDPKIT_LIBEXEC=$lib xdp-stats "$A" --json | jq -c 'select(.type == "flow") | [.packets, .later_counter]')" = '[1,0]' ]
}

@test "a scratch buffer whose layout changed is made anew without --recreate, every counter kept" {
	xdp-attach "$A" stats dns
	xk_craft_in udp4 5
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	lib=$(fixture_lib scratch)
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" stats dns
	[ "$status" -eq 0 ]
	[[ "$output" == *"programs replaced, counters kept"* ]]
	[ "$("$XK_TOP/build/xk-dump" --layout "$(xk_pins "$A")/dns_buf" | jq .value_size)" = 1024 ]
	[ "$(xk_count "$A" ingress packets)" = 5 ]
	[ "$(XDPKIT_LIBEXEC=$lib xdp-stats "$A" --json | jq -s '[.[] | select(.type == "dns_stats") | .malformed] | add')" = 5 ]
}

@test "table sizes are set at attach: one set while stats is off, the default when it comes on, --flows/--ports" {
	tbl() { bpftool -j map show pinned "$(xk_pins "$A")/$1" | jq .max_entries; }
	xdp-attach "$A" count
	[ "$(tbl flows) $(tbl ports)" = "1 1" ]
	xk_send_in 3 100
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	run xdp-attach "$A" stats
	[ "$status" -eq 0 ]
	[[ "$output" == *"flows: 65536 slots per CPU (were 2): a new table"* ]]
	[[ "$output" == *"programs replaced, counters kept"* ]]
	[ "$(tbl flows) $(tbl ports)" = "32768 8192" ]
	[ "$(xk_count "$A" ingress packets)" = 3 ]
	# switching stats off and on again is a config write: the tables stay
	xdp-detach "$A" stats
	run xdp-attach "$A" stats
	[[ "$output" == *"already attached"* ]]
	[ "$(tbl flows)" = 32768 ]
	run xdp-attach "$A" stats --flows 1024 --ports=64
	[ "$status" -eq 0 ]
	[ "$(tbl flows) $(tbl ports)" = "512 32" ]
	[ "$(xdp-status "$A" --json | jq -c '.maps[] | select(.name == "flows") | .slots')" = 1024 ]
	xk_addrs
	xk_craft_in udp4 2
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	[ "$(xdp-stats "$A" --json | jq -c 'select(.type == "flow") | .packets')" = 2 ]
	# one set is the size of a table whose feature is off: not one to ask for
	for bad in 1000 0 1 2 33554432 x; do
		run xdp-attach "$A" stats --flows "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--flows: slots per CPU, a power of two"* ]]
	done
	[ "$(tbl flows)" = 512 ]
	# the smallest size there is to ask for stays, run after run
	xdp-attach "$A" stats --flows 4
	run xdp-attach "$A" stats
	[[ "$output" == *"already attached"* ]]
	[ "$(tbl flows)" = 2 ]
}

@test "the default table size: at most 16 MiB of copies over the possible CPUs, at most the object's" {
	rule() { # CPUS WAYS SLOT_BYTES OBJECT_SLOTS
		XK_SHARE=$XK_TOP/lib sh -c '. "$XK_SHARE/xdpkit.sh"; n=$1; xk_possible_cpus() { echo "$n"; }
			xk_default_slots "$2" "$3" "$4"' rule "$@"
	}
	[ "$(rule 2 2 80 65536)" = 65536 ]
	[ "$(rule 64 2 80 65536)" = 2048 ]
	[ "$(rule 256 2 80 65536)" = 512 ]
	[ "$(rule 64 2 32 16384)" = 8192 ]
	[ "$(rule 100000 2 80 65536)" = 2 ]
}

@test "pins in the layout before 0.3 are found by status and detach, and adopted by attach with their counters" {
	xdp-attach "$A" count
	xk_send_in 4 100
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
	mv "$(xk_pins "$A")" "$XDPKIT_BPFFS/$A"
	rmdir "$XDPKIT_BPFFS/net/$(xk_nsid)" "$XDPKIT_BPFFS/net"
	run xdp-status "$A" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .health <<<"$output")" = degraded ]
	[[ "$(jq -r '.problems[]' <<<"$output")" == *"layout before 0.3"* ]]
	[ "$(xk_count "$A" ingress packets)" = 4 ]
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"pins moved from $XDPKIT_BPFFS/$A to $(xk_pins "$A")"* ]]
	[ ! -e "$XDPKIT_BPFFS/$A" ]
	[ "$(xk_count "$A" ingress packets)" = 4 ]
	[ "$(xdp-status "$A" --json | jq -r .health)" = ok ]
	# and detach finds the old place too
	mv "$(xk_pins "$A")" "$XDPKIT_BPFFS/$A"
	xdp-detach "$A"
	[ ! -e "$XDPKIT_BPFFS/$A" ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
}

@test "an interface in another network namespace: --netns attaches, counts, lists and detaches it; same names do not collide" {
	# B is in NS; and NS gets an interface named like ours, A
	ip -n "$NS" link add "$A" type veth peer name "${A}p"
	ip -n "$NS" link set "$A" up
	xdp-attach "$A" count
	run xdp-attach "$B" count --netns "$NS"
	[ "$status" -eq 0 ]
	[[ "$output" == *"netns $NS"* ]]
	xdp-attach "$A" count --netns "$NS" --mode generic
	nsid=$(stat -L -c %i "/run/netns/$NS")
	[ -e "$XDPKIT_BPFFS/net/$nsid/$B/global" ]
	[ -e "$XDPKIT_BPFFS/net/$nsid/$A/global" ]
	[ -e "$(xk_pins "$A")/global" ]
	[ "$(ip netns exec "$NS" tc -j filter show dev "$B" ingress | jq -r '.[] | select(.options.prog) | .options.prog.name')" = xdpkit_tc_in ]
	xk_send_out 6 100
	for i in $(seq 50); do
		n=$(xdp-stats "$B" --netns "$NS" --json | jq 'select(.type == "global" and .dir == "ingress") | .packets')
		[ "$n" = 6 ] && break
		sleep 0.1
	done
	[ "$n" = 6 ]
	[ "$(xk_count "$A" egress packets)" = 6 ]
	run xdp-status --json
	[ "$status" -eq 0 ]
	[ "$(jq -sc "map(select(.type == \"status\")) | map([.iface, .netns, .health]) | sort" <<<"$output")" = \
		"$(jq -nc --arg a "$A" --arg b "$B" --arg ns "$NS" '[[$a, null, "ok"], [$a, $ns, "ok"], [$b, $ns, "ok"]] | sort')" ]
	run xdp-detach "$B" --netns "$NS"
	[ "$status" -eq 0 ]
	[ -z "$(ip -n "$NS" -j link show dev "$B" | jq -r '.[0].xdp // empty')" ]
	[ ! -e "$XDPKIT_BPFFS/net/$nsid/$B" ]
	xdp-detach --all
	[ -z "$(ip -n "$NS" -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ -z "$(ls "$XDPKIT_BPFFS/net/"*/ 2>/dev/null)" ]
	run xdp-attach "$B" count --netns nosuchns
	[ "$status" -eq 4 ]
	[ "$output" = "xdp-attach: error: nosuchns: no such network namespace" ]
}

@test "an interface moved to another namespace after the attach: detach takes its programs off there" {
	xdp-attach "$A" count --ingress-only --hook xdp
	ip link set "$A" netns "$NS"
	run xdp-status "$A" --json
	[ "$(jq -r .health <<<"$output")" = stale ]
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"attached to $A in $NS: removing it there"* ]]
	[ -z "$(ip -n "$NS" -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ ! -e "$(xk_pins "$A")" ]
}

@test "another tc filter at xdpkit's preference with another handle is neither ours nor removed" {
	tc qdisc add dev "$A" clsact
	tc filter add dev "$A" egress pref 22596 handle 2 bpf direct-action object-pinned "$(xk_foreign_tc)"
	xdp-attach "$A" count
	run xdp-status "$A" --json
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.health, .tc.attached]' <<<"$output")" = '["ok",true]' ]
	xdp-detach "$A"
	[ "$(tc -j filter show dev "$A" egress | jq -c '[.[] | select(.options.prog) | .options.handle]')" = '["0x2"]' ]
}

@test "xdp-detach FEATURE on pins of an earlier interface of that name: exit 7, nothing written" {
	xdp-attach "$A" count stats
	ip link del "$A"
	xk_veth_pair
	run xdp-detach "$A" stats
	[ "$status" -eq 7 ]
	[[ "$output" == *"the pins belong to an earlier $A"* ]]
	[ "$("$XK_TOP/build/xk-dump" "$(xk_pins "$A")/config" | jq -c .features)" = '["count","stats"]' ]
}

@test "a pin root that somebody else owns or can write is refused (exit 3)" {
	mkdir -p "$XDPKIT_BPFFS"
	chown nobody "$XDPKIT_BPFFS"
	run xdp-attach "$A" count
	[ "$status" -eq 3 ]
	[[ "$output" == *"$XDPKIT_BPFFS must be owned by root"* ]]
	chown root "$XDPKIT_BPFFS"
	mkdir -p "$XDPKIT_BPFFS/net"
	chmod 1777 "$XDPKIT_BPFFS/net"
	run xdp-attach "$A" count
	[ "$status" -eq 3 ]
	[[ "$output" == *"$XDPKIT_BPFFS/net must be owned by root and writable only by root"* ]]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
}

@test "a pinned flows map that is not a table of sets (as 0.2's was) lends it no size: --recreate makes the default" {
	xdp-attach "$A" stats --flows 1024
	d=$(xk_pins "$A")
	rm "$d/flows"
	# 0.2's flow map: 65,536 entries of one 80-byte slot each
	bpftool map create "$d/flows" type percpu_array key 4 value 80 entries 65536 name flows
	run xdp-attach "$A" stats
	[ "$status" -eq 8 ]
	[[ "$output" == *"changed pinned map flows"* ]]
	run xdp-attach "$A" stats --recreate
	[ "$status" -eq 0 ]
	[ "$(bpftool -j map show pinned "$d/flows" | jq .max_entries)" = 32768 ]
	[ "$(xdp-status "$A" --json | jq -r .health)" = ok ]
}

@test "an interface watched with tc moved to another namespace: its filters go with the qdisc; status says stale, detach removes the pins" {
	xdp-attach "$A" count
	ip link set "$A" netns "$NS"
	# the kernel takes a device's qdiscs, clsact and its filters, down when it moves
	[ -z "$(ip netns exec "$NS" tc -j filter show dev "$A" ingress | jq -r '.[] | select(.options.prog) | .options.prog.id')" ]
	run xdp-status "$A" --json
	[ "$(jq -r .health <<<"$output")" = stale ]
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[ ! -e "$(xk_pins "$A")" ]
	run xdp-attach "$A" count --netns "$NS"
	[ "$status" -eq 0 ]
	xdp-detach "$A" --netns "$NS"
}

@test "an interface moved into another namespace: attach there names it, status says where it went" {
	xdp-attach "$A" count --ingress-only --hook xdp
	ip link set "$A" netns "$NS"
	run xdp-attach "$A" count --netns "$NS"
	[ "$status" -eq 5 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"is xdpkit's, pinned for $A in net:$(xk_nsid): the interface was moved here"* ]]
	run xdp-status "$A" --json
	[[ "$(jq -r '.problems[]' <<<"$output")" == *"its XDP program is attached to $A in $NS: moved there?"* ]]
	xdp-detach "$A"
	run xdp-status --netns "$NS" --json
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	xdp-attach "$A" count --netns "$NS" --ingress-only
	run xdp-status --netns "$NS" --json
	[ "$(jq -c '[.iface, .netns, .health]' <<<"$output")" = "[\"$A\",\"$NS\",\"ok\"]" ]
	xdp-detach "$A" --netns "$NS"
}
