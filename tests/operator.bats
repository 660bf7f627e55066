#!/usr/bin/env bats
# What an operator meets outside the happy path: cron's environment, health
# for alerts, reset markers, a wrong pin root, pins vanishing mid-read,
# damaged objects, arguments as given, locks, re-attach, versions, the kill
# switch, and the helper's own manners.

load helpers

setup() { xk_setup; }
teardown() {
	ip link del "${A}x" 2>/dev/null || :
	xk_teardown
}

one_line_error() { # STATUS NAME
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "$2: error: "* ]]
}

# Cron's environment: PATH without sbin, no HOME, no terminal.
cron() {
	env -i PATH=/usr/bin:/bin XDPKIT_BPFFS="$XDPKIT_BPFFS" XDPKIT_RUNDIR="$XDPKIT_RUNDIR" "$@" </dev/null
}

# A command shim on PATH: shim NAME BODY (BODY runs before the real NAME).
shim() {
	mkdir -p "$BATS_TEST_TMPDIR/shim"
	printf '#!/bin/sh\n%s\nexec %s "$@"\n' "$2" "$(command -v "$1")" >"$BATS_TEST_TMPDIR/shim/$1"
	chmod +x "$BATS_TEST_TMPDIR/shim/$1"
}

@test "from cron's environment (PATH=/usr/bin:/bin): attach, stats, status, detach all work" {
	run cron "$XK_TOP/bin/xdp-attach" "$A" stats
	[ "$status" -eq 0 ]
	xk_craft_in udp4 3
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	run cron "$XK_TOP/bin/xdp-stats" "$A" --json
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.type == "global" and .dir == "ingress") | .udp' <<<"$output")" = 3 ]
	run cron "$XK_TOP/bin/xdp-status" "$A"
	[ "$status" -eq 0 ]
	run cron "$XK_TOP/bin/xdp-detach" "$A"
	[ "$status" -eq 0 ]
}

@test "xdp-stats --json needs only jq and the helper, not bpftool, ip or tc" {
	xdp-attach "$A" count
	# the three hidden in a private mount namespace
	run unshare -m sh -c 'for t in bpftool ip tc; do mount --bind /dev/null "$(command -v "$t")"; done
		command -v bpftool && exit 99
		exec "$0" "$1" --json' "$XK_TOP/bin/xdp-stats" "$A"
	[ "$status" -eq 0 ]
	[ "$(jq -sc 'map(select(.type == "global")) | length' <<<"$output")" = 2 ]
}

@test "health for cron: named interfaces must be attached (exit 7 each), none attached is not an error" {
	run xdp-status
	[ "$status" -eq 0 ]
	[ "$output" = "no interfaces with xdpkit attached" ]
	xdp-attach "$A" count
	ip link add "${A}x" type veth peer name "${B}x" netns "$NS"
	run xdp-status "$A" "${A}x"
	[ "$status" -eq 7 ]
	[ "${lines[-1]}" = "${A}x: missing, xdpkit is not attached" ]
	run xdp-status "$A" "${A}x" --json
	[ "$status" -eq 7 ]
	[ "$(jq -sc 'map([.iface, .health])' <<<"$output")" = "[[\"$A\",\"ok\"],[\"${A}x\",\"missing\"]]" ]
	run xdp-status "$A"
	[ "$status" -eq 0 ]
}

@test "every global line carries the attach time: kept by a re-attach, new after detach and attach" {
	xdp-attach "$A" count
	at=$(xdp-stats "$A" --json | jq -s 'map(select(.type == "global") | .attached_at) | unique | .[]')
	[ "$at" = "$(xdp-status "$A" --json | jq .attached_at)" ]
	sleep 1.1
	xdp-attach "$A" stats
	[ "$(xdp-stats "$A" --json | jq -s 'map(select(.type == "global") | .attached_at) | unique | .[]')" = "$at" ]
	xdp-detach "$A"
	xdp-attach "$A" count
	[ "$(xdp-stats "$A" --json | jq -s 'map(select(.type == "global") | .attached_at) | unique | .[]')" -gt "$at" ]
}

@test "an unusable XDPKIT_BPFFS: exit 3 with one line, never a spin" {
	for root in /bpfx/xdpkit relative/xdpkit /sys/fs/bpf/../bpf/x; do
		for c in "xdp-attach $A count" "xdp-detach $A" "xdp-stats $A" "xdp-status"; do
			# shellcheck disable=SC2086
			XDPKIT_BPFFS=$root run timeout 10 $c
			echo "$root $c: $status $output"
			one_line_error 3 "${c%% *}"
		done
	done
	XDPKIT_BPFFS=/bpfx/xdpkit run timeout 10 xdp-check lo
	[ "$status" -eq 3 ]
	[ ! -e /bpfx ]
}

@test "no bpf filesystem: xdp-status says so, exit 3" {
	run unshare -m sh -c 'while umount /sys/fs/bpf 2>/dev/null; do :; done; exec "$0"' "$XK_TOP/bin/xdp-status"
	one_line_error 3 xdp-status
	[[ "$output" == *"no bpf filesystem"* ]]
}

@test "pins removed under a running xdp-stats (a detach meanwhile): one line, exit 7" {
	xdp-attach "$A" stats
	xk_craft_in udp4 2
	lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xdpkit.bpf.o" "$lib/"
	# the helper: the pins go away just before the flow table is read
	cat >"$lib/xk-dump" <<-EOF
		#!/bin/sh
		case " \$* " in *"/flows "*) rm -rf "$(xk_pins "$A")" ;; esac
		exec "$XK_TOP/build/xk-dump" "\$@"
	EOF
	chmod +x "$lib/xk-dump"
	for args in "--json" "--interval 0" "--json --top 3"; do
		xdp-attach "$A" stats
		# shellcheck disable=SC2086
		XDPKIT_LIBEXEC=$lib run xdp-stats "$A" $args
		one_line_error 7 xdp-stats
		[[ "$output" == *"detached while reading"* ]]
		# the programs outlived their pins: take them off by hand
		ip link set dev "$A" xdp off
		tc qdisc del dev "$A" clsact
	done
}

@test "an empty pin directory: degraded, no '*' map, exit 1" {
	mkdir -p "$(xk_pins "$A")"
	run xdp-status "$A"
	[ "$status" -eq 1 ]
	[[ "$output" != *"*"* ]]
	[[ "$output" == *"problem: config map unreadable"* ]]
}

@test "XDPKIT_LOCK_WAIT that is not whole seconds: one line, exit 2" {
	XDPKIT_LOCK_WAIT=abc run xdp-attach "$A" count
	one_line_error 2 xdp-attach
	[[ "$output" == *"XDPKIT_LOCK_WAIT"* ]]
	XDPKIT_LOCK_WAIT=1.5 run xdp-detach "$A"
	one_line_error 2 xdp-detach
}

@test "a damaged object (truncated, or without the feature enum): one line, exit 3" {
	lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$lib/"
	head -c 3000 "$XK_TOP/build/xdpkit.bpf.o" >"$lib/xdpkit.bpf.o"
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"not a usable xdpkit object"* ]]
	cp "$XK_TOP/build/pass.bpf.o" "$lib/xdpkit.bpf.o"
	XDPKIT_LIBEXEC=$lib run xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"not a usable xdpkit object"* ]]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
}

@test "each argument is one word, checked as given: no globbing, no splitting, no skipping" {
	cd "$BATS_TEST_TMPDIR"
	: >stats
	run xdp-attach "$A" '*'
	one_line_error 2 xdp-attach
	run xdp-attach "$A" 'stats count'
	one_line_error 2 xdp-attach
	run xdp-attach '' "$A" count
	one_line_error 2 xdp-attach
	run xdp-attach "$A" ''
	one_line_error 2 xdp-attach
	run xdp-detach "$A" ''
	one_line_error 2 xdp-detach
	run xdp-stats '' "$A"
	one_line_error 2 xdp-stats
	[ ! -e "$(xk_pins "$A")" ]
}

@test "locks: a root-owned directory, 0600 files that stay; a directory others own is refused" {
	xdp-attach "$A" count
	[ "$(stat -c '%u %a' "$XDPKIT_RUNDIR")" = "0 755" ]
	[ "$(stat -c '%u %a' "$XDPKIT_RUNDIR/net-$(xk_nsid)-$A.lock")" = "0 600" ]
	[ "$(stat -c '%u %a' "$XDPKIT_BPFFS")" = "0 755" ]
	xdp-detach "$A"
	[ -e "$XDPKIT_RUNDIR/net-$(xk_nsid)-$A.lock" ]
	chown nobody "$XDPKIT_RUNDIR"
	run xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"must be owned by root"* ]]
	chown root "$XDPKIT_RUNDIR"
	chmod 0777 "$XDPKIT_RUNDIR"
	run xdp-attach "$A" count
	one_line_error 3 xdp-attach
}

@test "attach again with the same object: no reload, only the features change" {
	xdp-attach "$A" stats
	xdp-detach "$A" stats
	id=$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)
	shim bpftool 'case "$*" in *loadall* | *"map create"*) echo loaded >>"'"$BATS_TEST_TMPDIR"'/loads" ;; esac'
	PATH=$BATS_TEST_TMPDIR/shim:$PATH run xdp-attach "$A" count stats
	[ "$status" -eq 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/loads" ]
	[[ "$output" == *"already attached"*"features: count stats"* ]]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.prog.id)" = "$id" ]
	[ "$(xdp-status "$A" --json | jq -c .features)" = '["count","stats"]' ]
}

@test "--mode generic on a native attachment says the mode changed" {
	xdp-attach "$A" count --mode native
	run xdp-attach "$A" count --mode generic
	[ "$status" -eq 0 ]
	[[ "$output" == *"XDP mode changed to generic"* ]]
	[ "$(xdp-status "$A" --json | jq -r .xdp.mode)" = generic ]
	[ "$(ip -j link show dev "$A" | jq .[0].xdp.mode)" = 2 ]
}

@test "--version on every command, one version, also in xdp-status --json" {
	v=$(cat "$XK_TOP/build/version")
	[ -n "$v" ]
	for c in xdp-attach xdp-detach xdp-stats xdp-status xdp-check xdp-capture xdp-dns; do
		run "$c" --version
		[ "$status" -eq 0 ]
		[ "$output" = "$c (xdpkit) $v" ]
	done
	run "$XK_TOP/build/xk-dump" --version
	[ "$output" = "xk-dump $v" ]
	xdp-attach "$A" count
	[ "$(xdp-status "$A" --json | jq -r .version)" = "$v" ]
}

@test "xdp-detach --all: the kill switch takes xdpkit off every interface" {
	run xdp-detach --all
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing attached"* ]]
	ip link add "${A}x" type veth peer name "${B}x" netns "$NS"
	ip link set "${A}x" up
	xdp-attach "$A" count
	xdp-attach "${A}x" stats --mode generic
	run xdp-detach --all
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$XDPKIT_BPFFS")" ]
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ -z "$(ip -j link show dev "${A}x" | jq -r '.[0].xdp // empty')" ]
	[ "$(tc -j filter show dev "${A}x" egress | jq length)" = 0 ]
	run xdp-detach --all extra
	one_line_error 2 xdp-detach
}

@test "xk-dump reads a slot table by key without being told; --help on stdout" {
	xdp-attach "$A" stats
	xk_craft_in udp4 4
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
	run "$XK_TOP/build/xk-dump" "$(xk_pins "$A")/flows"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	# one "key"-less line, the CPUs folded: no duplicate member, family not summed
	[ "$(grep -o '"family"' <<<"$output" | wc -l)" = 1 ]
	[ "$(jq -c '[has("key"), .family, .packets, .sport]' <<<"$output")" = '[false,4,4,40000]' ]
	run "$XK_TOP/build/xk-dump" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: xk-dump "* ]]
	run "$XK_TOP/build/xk-dump" "$(xk_pins "$A")/xdpkit_ingress"
	[ "$status" -eq 1 ]
	[ "$output" = "xk-dump: error: $(xk_pins "$A")/xdpkit_ingress: a program, not a map" ]
}

@test "xdp-check names the driver as ethtool -i reports it" {
	shim ethtool 'case "$1" in -i) printf "driver: mlx4_en\nversion: 4.0\n"; exit 0 ;; esac'
	PATH=$BATS_TEST_TMPDIR/shim:$PATH run xdp-check "$A" --json
	[ "$(jq -c 'select(.type == "iface") | [.driver, .native_xdp]' <<<"$output")" = '["mlx4_en",true]' ]
	run xdp-check "$A" --json
	[ "$(jq -c 'select(.type == "iface") | .driver' <<<"$output")" = '"veth"' ]
}

@test "POSIX shell: no GNU-only date +%N or grep \\| in bin/ and lib/; the commands run under busybox sh" {
	! grep -n 'date +%[sN]*N\|%N' "$XK_TOP"/bin/* "$XK_TOP"/lib/*.sh
	! grep -n 'grep[^|]*\\\\|' "$XK_TOP"/bin/* "$XK_TOP"/lib/*.sh
	run busybox sh "$XK_TOP/bin/xdp-attach" "$A" stats
	[ "$status" -eq 0 ]
	xk_craft_in udp4 2
	[ "$(xk_wait_count "$A" ingress udp 2)" = 2 ]
	run busybox sh "$XK_TOP/bin/xdp-stats" "$A" --json --top 1
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.type == "flow") | .packets' <<<"$output")" = 2 ]
	run busybox sh "$XK_TOP/bin/xdp-status" "$A"
	[ "$status" -eq 0 ]
	run busybox sh "$XK_TOP/bin/xdp-detach" "$A"
	[ "$status" -eq 0 ]
}

@test "attach after the XDP program or tc filter was removed behind its back says what it put back" {
	xdp-attach "$A" count --hook tc
	tc filter del dev "$A" ingress pref 22596 handle 1 bpf
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"the tc ingress filter had gone and is attached again (tc ingress, tc egress)"* ]]
	xdp-detach "$A"
	xdp-attach "$A" count --hook xdp
	ip link set dev "$A" xdp off
	run xdp-attach "$A" count
	[ "$status" -eq 0 ]
	[[ "$output" == *"the XDP program had gone and is attached again"* ]]
	tc filter del dev "$A" egress pref 22596 handle 1 bpf
	run xdp-attach "$A" count
	[[ "$output" == *"the tc egress filter had gone and is attached again"* ]]
	[ "$(xdp-status "$A" --json | jq -r .health)" = ok ]
}

@test "xdp-stats says when nothing is counted, or the counts are an earlier interface's" {
	xdp-attach "$A" count
	xdp-detach "$A" count
	run xdp-stats "$A" --json
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "xdp-stats: $A: no feature is on: nothing is counted (xdp-attach $A count or stats)" ]
	ip link del "$A"
	run xdp-stats "$A" --json
	[ "${lines[0]}" = "xdp-stats: $A: the interface is gone: these are the counts it had (xdp-detach $A removes them)" ]
	xk_veth_pair
	run xdp-stats "$A" --json
	[[ "${lines[0]}" == "xdp-stats: $A: these are the counts of an earlier $A (ifindex "* ]]
}

@test "an empty protocols section says none; --watch without a terminal does not ask for Ctrl-C" {
	xdp-attach "$A" stats
	run xdp-stats "$A" --by protocols --interval 0
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nprotocols: none'* ]]
	run timeout 3 xdp-stats "$A" --watch --interval 1
	[[ "$output" == *"rates over 1 s"* ]]
	[[ "$output" != *"Ctrl-C"* ]]
}
