#!/usr/bin/env bats
# xdp-attach / xdp-detach / xdp-stats over a real veth pair: exact counts in
# both directions and modes, idempotence, foreign programs, upgrades, races.

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

# attach in MODE (native, generic) or with the tc hook (tc), send frames
# both ways, check exact packets and bytes
exact_counts() {
	if [ "$1" = tc ]; then
		run xdp-attach "$A" count --hook tc
		[[ "$output" == *"attached (tc ingress, tc egress)"* ]]
	else
		run xdp-attach "$A" count --mode "$1"
		[[ "$output" == *"attached (xdp $1, tc egress)"* ]]
	fi
	[ "$status" -eq 0 ]
	xk_send_in 23 100
	xk_send_in 7 1514
	xk_send_out 13 60
	[ "$(xk_wait_count "$A" ingress packets 30)" = 30 ]
	[ "$(xk_count "$A" ingress bytes)" = $((23 * 100 + 7 * 1514)) ]
	[ "$(xk_wait_count "$A" egress packets 13)" = 13 ]
	[ "$(xk_count "$A" egress bytes)" = $((13 * 60)) ]
}

@test "native mode: exact packets and bytes, ingress and egress" {
	exact_counts native
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.mode)" = 1 ]
}

@test "generic mode: exact packets and bytes, ingress and egress" {
	exact_counts generic
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.mode)" = 2 ]
}

@test "tc hook: exact packets and bytes, ingress and egress" {
	exact_counts tc
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ "$(tc -j filter show dev "$A" ingress | jq -r '.[] | select(.pref == 22596 and .options) | .options.prog.name')" = xdpkit_tc_in ]
}

@test "auto picks the tc hook on a veth and says why; --hook xdp with mode auto picks native" {
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"attached (tc ingress, tc egress; tc: a virtual device (veth): tc keeps its GSO and GRO"* ]]
	[ "$(xk_config_field hook)" = tc ]
	[ "$(xk_config_field xdp_mode)" = none ]
	xdp-detach "$A"
	run xdp-attach "$A" count --hook xdp
	[ "$status" -eq 0 ]
	[[ "$output" == *"(xdp native, tc egress)"* ]]
	[ "$(xk_config_field hook)" = xdp ]
	[ "$(xk_config_field xdp_mode)" = native ]
	# a mode asks for XDP; tc has none
	run xdp-attach "$A" count --hook tc --mode native
	[ "$status" -eq 2 ]
	[ "$output" = "xdp-attach: error: --mode native is an XDP mode: --hook tc has none (see --help)" ]
}

@test "the hook changes in place: counters kept, the old hook taken off, auto keeps what is attached" {
	xdp-attach "$A" count --hook xdp
	xk_send_in 5 100
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	run xdp-attach "$A" count --hook tc
	[ "$status" -eq 0 ]
	[[ "$output" == *"ingress hook changed to tc (tc ingress, tc egress)"* ]]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	xk_send_in 3 100
	[ "$(xk_wait_count "$A" ingress packets 8)" = 8 ]
	# auto keeps the hook attached
	run xdp-attach "$A" count
	[[ "$output" == *"already attached (tc ingress, tc egress)"* ]]
	run xdp-attach "$A" count --mode generic
	[[ "$output" == *"ingress hook changed to xdp (xdp generic, tc egress)"* ]]
	[ "$(tc -j filter show dev "$A" ingress | jq '[.[] | select(.options.prog)] | length')" = 0 ]
	xk_send_in 2 100
	[ "$(xk_wait_count "$A" ingress packets 10)" = 10 ]
	[ "$(xk_count "$A" ingress bytes)" = 1000 ]
}

xk_config_field() {
	"$XK_TOP/build/xk-dump" "$(xk_pins "$A")/config" | jq -r ".$1"
}

@test "a feature switched off stops counting without reloading; on again resumes" {
	xdp-attach "$A" count --hook xdp
	id=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	xk_send_in 5 100
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	xdp-detach "$A" count
	[ "$(xk_config_field features)" = '[]' ]
	xk_send_in 11 100
	sleep 0.2
	[ "$(xk_count "$A" ingress packets)" = 5 ]
	xdp-attach "$A" count
	xk_send_in 3 100
	[ "$(xk_wait_count "$A" ingress packets 8)" = 8 ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$id" ]
}

@test "attach twice is idempotent: same programs, counters kept" {
	xdp-attach "$A" count
	id=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	xk_send_in 17 100
	[ "$(xk_wait_count "$A" ingress packets 17)" = 17 ]
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"already attached"* ]]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$id" ]
	[ "$(tc -j filter show dev "$A" egress | jq '[.[] | select(.options.prog)] | length')" = 1 ]
	[ "$(xk_count "$A" ingress packets)" = 17 ]
}

@test "detach removes everything it made; detach twice is fine" {
	xdp-attach "$A" count
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[ "$(ip -j link show dev "$A" | jq '.[0].xdp // "none"')" = '"none"' ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
	[ ! -e "$(xk_pins "$A")" ]
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not attached"* ]]
}

@test "detach keeps a clsact qdisc that was there before" {
	tc qdisc add dev "$A" clsact
	tc filter add dev "$A" ingress pref 7 bpf direct-action object-pinned "$(xk_foreign_tc)"
	xdp-attach "$A" count
	xdp-detach "$A"
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 1 ]
	[ "$(tc -j filter show dev "$A" ingress | jq '[.[] | select(.pref == 7)] | length')" -ge 1 ]
}

@test "detach keeps a clsact qdisc it made when others have filters on it" {
	xdp-attach "$A" count
	tc filter add dev "$A" ingress pref 7 bpf direct-action object-pinned "$(xk_foreign_tc)"
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"keeping the clsact qdisc: other filters use it"* ]]
	[ "$(tc -j filter show dev "$A" ingress | jq '[.[] | select(.pref == 7)] | length')" -ge 1 ]
}

@test "a foreign XDP program is refused (exit 5) and left alone; --force replaces it" {
	ip link set dev "$A" xdpgeneric pinned "$(xk_foreign_xdp)"
	foreign=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	run xdp-attach "$A" count --hook xdp
	[ "$status" -eq 5 ]
	[[ "$output" == "xdp-attach: error: $A: an XDP program xdpkit did not attach is there"* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$foreign" ]
	[ ! -e "$(xk_pins "$A")" ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
	run xdp-attach "$A" count --force --hook xdp
	[ "$status" -eq 0 ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.name)" = '"xdpkit_ingress"' ]
	xk_send_in 4 100
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
}

@test "the tc hook leaves a foreign XDP program in place, says it runs first, and counts what it passes" {
	ip link set dev "$A" xdpgeneric pinned "$(xk_foreign_xdp)"
	foreign=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"XDP program id $foreign (xdpkit_pass, generic) runs before xdpkit's tc ingress filter: what it drops or redirects is not counted"* ]]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$foreign" ]
	xk_send_in 4 100
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
	run xdp-status "$A" --json
	[ "$status" -eq 0 ]
	[ "$(jq -c '.before.ingress' <<<"$output")" = "[{\"hook\":\"xdp\",\"mode\":\"generic\",\"prog_id\":$foreign,\"name\":\"xdpkit_pass\"}]" ]
	run xdp-status "$A"
	[[ "$output" == *"before xdpkit on ingress: xdp generic prog $foreign (xdpkit_pass): what it drops or redirects is not counted"* ]]
	xdp-detach "$A"
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$foreign" ]
}

@test "a foreign tc filter at xdpkit's preference is refused; --force replaces it" {
	tc qdisc add dev "$A" clsact
	tc filter add dev "$A" egress pref 22596 handle 1 bpf direct-action \
		object-pinned "$(xk_foreign_tc)"
	run xdp-attach "$A" count
	[ "$status" -eq 5 ]
	[[ "$output" == *"a tc egress filter xdpkit did not attach"* ]]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	run xdp-attach "$A" count --force
	[ "$status" -eq 0 ]
	xk_send_out 6 60
	[ "$(xk_wait_count "$A" egress packets 6)" = 6 ]
}

@test "detach leaves a foreign program alone" {
	xdp-attach "$A" count --mode generic
	ip link set dev "$A" xdpgeneric off
	ip link set dev "$A" xdpgeneric pinned "$(xk_foreign_xdp)"
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"leaving XDP program id"* ]]
	[ "$(ip -j link show dev "$A" | jq -r .[0].xdp.prog.name)" = xdpkit_pass ]
}

# A rebuilt datapath in a lib dir of its own: same maps, different code.
rebuilt_object() {
	local lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$lib/"
	cp "$XK_TOP/build/test/rebuilt.bpf.o" "$lib/xdpkit.bpf.o"
	echo "$lib"
}

# The id of xdpkit's ingress program attached to $A with HOOK.
ingress_id() { # xdp|tc
	if [ "$1" = xdp ]; then
		ip -j link show dev "$A" | jq .[0].xdp.prog.id
	else
		tc -j filter show dev "$A" ingress | jq '.[] | select(.pref == 22596 and .options) | .options.prog.id'
	fi
}

@test "an upgrade to a rebuilt object replaces the programs and keeps the counters, in either hook" {
	for hook in xdp tc; do
		xdp-attach "$A" count --hook "$hook"
		old=$(ingress_id "$hook")
		xk_send_in 19 100
		[ "$(xk_wait_count "$A" ingress packets 19)" = 19 ]
		lib=$(rebuilt_object)
		XDPKIT_LIBEXEC=$lib run xdp-attach "$A" count
		[ "$status" -eq 0 ]
		[[ "$output" == *"programs replaced, counters kept"* ]]
		new=$(ingress_id "$hook")
		[ "$new" != "$old" ]
		[ "$(bpftool -j prog show pinned "$(xk_pins "$A")/$([ "$hook" = xdp ] && echo xdpkit_ingress || echo xdpkit_tc_in)" | jq .id)" = "$new" ]
		[ "$(xk_count "$A" ingress packets)" = 19 ]
		xk_send_in 2 100
		[ "$(xk_wait_count "$A" ingress packets 21)" = 21 ]
		[ -z "$(ls -d "$(xk_pins "$A")"/_new* 2>/dev/null)" ]
		xdp-detach "$A"
	done
}

@test "two attaches racing on one interface: one attachment, both succeed" {
	xdp-attach "$A" count &
	p1=$!
	xdp-attach "$A" count &
	p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(tc -j filter show dev "$A" ingress | jq -r '.[] | select(.options.prog) | .options.prog.name')" = xdpkit_tc_in ]
	[ "$(tc -j filter show dev "$A" egress | jq '[.[] | select(.options.prog)] | length')" = 1 ]
	[ "$(ls "$(xk_pins "$A")" | sort | tr '\n' ' ')" = "capture capture_buf capture_state capture_stats clock config dns dns_buf dns_events dns_pending dns_qtypes dns_rcodes dns_stats dns_sweep flows global packets ports protos xdpkit_egress xdpkit_ingress xdpkit_tc_in " ]
}

@test "a held lock makes the second command wait, then give up with exit 9" {
	mkdir -p "$XDPKIT_RUNDIR"
	exec 8>"$XDPKIT_RUNDIR/net-$(xk_nsid)-$A.lock"
	flock 8
	XDPKIT_LOCK_WAIT=1 run xdp-attach "$A" count
	exec 8>&-
	[ "$status" -eq 9 ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
}

@test "--ingress-only attaches nothing on egress, and drops a filter attached before" {
	xdp-attach "$A" count --hook xdp
	run xdp-attach "$A" count --ingress-only
	[ "$status" -eq 0 ]
	[[ "$output" == *"the tc egress filter is removed: ingress only (xdp native)"* ]]
	[ "$(tc -j filter show dev "$A" egress | jq '[.[] | select(.options.prog)] | length')" = 0 ]
	xk_send_out 3 60
	xk_send_in 2 60
	[ "$(xk_wait_count "$A" ingress packets 2)" = 2 ]
	[ "$(xk_count "$A" egress packets)" = 0 ]
	# with the tc hook: the ingress filter only
	run xdp-attach "$A" count --ingress-only --hook tc
	[[ "$output" == *"ingress hook changed to tc (tc ingress)"* ]]
	[ "$(tc -j filter show dev "$A" egress | jq '[.[] | select(.options.prog)] | length')" = 0 ]
	[ "$(tc -j filter show dev "$A" ingress | jq '[.[] | select(.options.prog)] | length')" = 1 ]
	xk_send_out 3 60
	xk_send_in 2 60
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
	[ "$(xk_count "$A" egress packets)" = 0 ]
	# not kept: a run without it watches egress again, and says so
	run xdp-attach "$A" count
	[[ "$output" == *"the tc egress filter is attached again: no --ingress-only this time (tc ingress, tc egress)"* ]]
	xdp-detach "$A"
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
}

@test "offload on veth: refused with one line, exit 6, nothing left behind" {
	run xdp-attach "$A" count --mode offload
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "xdp-attach: error: $A: offload XDP refused: the driver does not support it" ]]
	[ ! -e "$(xk_pins "$A")" ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
}

@test "a hook change the driver refuses (tc to offload XDP): the tc filter stays, counting goes on" {
	xdp-attach "$A" count
	id=$(tc -j filter show dev "$A" ingress | jq '.[] | select(.options.prog) | .options.prog.id')
	run xdp-attach "$A" count --mode offload
	[ "$status" -eq 6 ]
	[ "$(tc -j filter show dev "$A" ingress | jq '.[] | select(.options.prog) | .options.prog.id')" = "$id" ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ "$(xk_config_field hook)" = tc ]
	run xdp-status "$A" --json
	[ "$(jq -r .health <<<"$output")" = ok ]
	xk_send_in 2 100
	[ "$(xk_wait_count "$A" ingress packets 2)" = 2 ]
}

@test "the interface disappears: detach removes the stale pins" {
	xdp-attach "$A" count
	ip link del "$A"
	run xdp-detach "$A"
	[ "$status" -eq 0 ]
	[ ! -e "$(xk_pins "$A")" ]
}

@test "an interface recreated under the same name: attach replaces the stale pins" {
	xdp-attach "$A" count
	xk_send_in 5 100
	[ "$(xk_wait_count "$A" ingress packets 5)" = 5 ]
	ip link del "$A"
	xk_veth_pair
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"removing stale pins"* ]]
	[ "$(xk_count "$A" ingress packets)" = 0 ]
}

@test "an interface name with a dot pins under a colon (bpffs refuses dots)" {
	ip link add "$A.7" type veth peer name "${B}7" netns "$NS"
	run xdp-attach "$A.7" count --ingress-only
	[ "$status" -eq 0 ]
	[ -e "$(xk_pins "$A"):7/global" ]
	run xdp-stats "$A.7" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .iface | sort -u)" = "$A.7" ]
	xdp-detach "$A.7"
	[ ! -e "$(xk_pins "$A"):7" ]
	ip link del "$A.7"
}

# tc that refuses to attach filters, to make a later step of xdp-attach fail
failing_tc() {
	mkdir -p "$BATS_TEST_TMPDIR/fake"
	printf '#!/bin/sh\ncase " $* " in *" filter add "* | *" filter replace "*) echo "RTNETLINK answers: injected" >&2; exit 2 ;; esac\nexec %s "$@"\n' \
		"$(command -v tc)" >"$BATS_TEST_TMPDIR/fake/tc"
	chmod +x "$BATS_TEST_TMPDIR/fake/tc"
	echo "$BATS_TEST_TMPDIR/fake:$PATH"
}

@test "a later step failing after --force replaced a foreign XDP program: the foreign program is back" {
	ip link set dev "$A" xdpgeneric pinned "$(xk_foreign_xdp)"
	foreign=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	PATH=$(failing_tc) run xdp-attach "$A" count --force --mode generic
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "xdp-attach: error: $A: attaching the tc egress filter failed" ]]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$foreign" ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.mode)" = 2 ]
	[ ! -e "$(xk_pins "$A")" ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
}

@test "a later step failing during an upgrade: the old programs stay attached, counters kept" {
	xdp-attach "$A" count --hook xdp
	old=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	xk_send_in 3 100
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	lib=$(rebuilt_object)
	XDPKIT_LIBEXEC=$lib PATH=$(failing_tc) run xdp-attach "$A" count
	[ "$status" -eq 1 ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$old" ]
	[ "$(bpftool -j prog show pinned "$(xk_pins "$A")/xdpkit_ingress" | jq .id)" = "$old" ]
	[ -z "$(ls -d "$(xk_pins "$A")"/_* 2>/dev/null)" ]
	[ "$(xk_count "$A" ingress packets)" = 3 ]
}
