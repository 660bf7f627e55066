#!/usr/bin/env bats
# make install / uninstall, and make demo: an installed copy works from any
# directory; the demo shows exact counts and leaves nothing behind.

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

# Cron's environment: no HOME, no TTY, PATH without sbin.
cron_env() { env -i PATH=/usr/bin:/bin SHELL=/bin/sh LOGNAME=root "$@" </dev/null; }

@test "install to a prefix (FHS): the installed commands work from any directory, under cron's PATH" {
	prefix=$BATS_TEST_TMPDIR/prefix
	make -C "$XK_TOP" --no-print-directory -s install PREFIX="$prefix" >/dev/null
	[ -x "$prefix/bin/xdp-attach" ]
	[ -x "$prefix/bin/xk-dump" ]
	[ -f "$prefix/lib/xdpkit/xdpkit.bpf.o" ]
	[ -f "$prefix/lib/xdpkit/version" ]
	[ ! -e "$prefix/lib/xdpkit/pass.bpf.o" ]
	[ ! -e "$prefix/lib/xdpkit/xk-dump" ]
	[ -f "$prefix/share/xdpkit/xdpkit.sh" ]
	[ -f "$prefix/share/xdpkit/btf.jq" ]
	cd /
	# nothing of the source tree on PATH, nothing relative, sbin missing
	run cron_env XDPKIT_BPFFS="$XDPKIT_BPFFS" XDPKIT_RUNDIR="$XDPKIT_RUNDIR" "$prefix/bin/xdp-attach" "$A" count
	[ "$status" -eq 0 ]
	xk_send_in 9 100
	for _ in $(seq 50); do
		n=$(cron_env XDPKIT_BPFFS="$XDPKIT_BPFFS" "$prefix/bin/xdp-stats" "$A" --json |
			jq 'select(.type == "global" and .dir == "ingress") | .packets')
		[ "$n" = 9 ] && break
		sleep 0.1
	done
	[ "$n" = 9 ]
	run cron_env XDPKIT_BPFFS="$XDPKIT_BPFFS" "$prefix/bin/xdp-status" "$A"
	[ "$status" -eq 0 ]
	# the helper the README points at is on PATH with the commands
	run cron_env PATH="$prefix/bin:/usr/bin:/bin" xk-dump --iface "$A" --type global "$(xk_pins "$A")/global"
	[ "$status" -eq 0 ]
	[ "$(jq -s 'map(.packets) | add' <<<"$output")" = 9 ]
	# the library alone named: still finds its objects
	run env XDPKIT_SHARE="$prefix/share/xdpkit" "$prefix/bin/xdp-stats" "$A" --json
	[ "$status" -eq 0 ]
	run cron_env XDPKIT_BPFFS="$XDPKIT_BPFFS" XDPKIT_RUNDIR="$XDPKIT_RUNDIR" "$prefix/bin/xdp-detach" "$A"
	[ "$status" -eq 0 ]
	make -C "$XK_TOP" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
	# nothing left, not even empty directories
	[ ! -e "$prefix" ]
}

@test "a copy staged with DESTDIR and moved elsewhere still runs, and says its version" {
	dest=$BATS_TEST_TMPDIR/dest
	make -C "$XK_TOP" --no-print-directory -s install DESTDIR="$dest" PREFIX=/opt/xk >/dev/null
	[ -x "$dest/opt/xk/bin/xdp-stats" ]
	mv "$dest/opt/xk" "$BATS_TEST_TMPDIR/moved"
	run "$BATS_TEST_TMPDIR/moved/bin/xdp-stats" --version
	[ "$status" -eq 0 ]
	[ "$output" = "xdp-stats (xdpkit) $(cat "$XK_TOP/build/version")" ]
	run "$BATS_TEST_TMPDIR/moved/bin/xdp-attach" "$A" count
	[ "$status" -eq 0 ]
	run "$BATS_TEST_TMPDIR/moved/bin/xdp-detach" "$A"
	[ "$status" -eq 0 ]
	# a library that is not there: one line, exit 3
	run env XDPKIT_SHARE=/nonexistent "$BATS_TEST_TMPDIR/moved/bin/xdp-stats" "$A"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "xdp-stats: error: "* ]]
}

@test "make demo: exact counts (5 pings each way, 98 bytes each), nothing left behind" {
	before_ns=$(ip netns list | wc -l)
	before_links=$(ip -o link | wc -l)
	run make -C "$XK_TOP" --no-print-directory -s demo
	[ "$status" -eq 0 ]
	[[ "$output" == *"5 packets transmitted, 5 received"* ]]
	[ "$(grep -c '^{"type":"global"' <<<"$output")" = 2 ]
	[ "$(grep '^{"type":"global"' <<<"$output" | jq -sc 'map([.dir, .packets, .bytes])')" = \
		'[["ingress",5,490],["egress",5,490]]' ]
	[[ "$output" == *": ok, features stats"* ]]
	[ "$(grep '^{"type":"flow"' <<<"$output" | jq -sc 'map([.dir, .proto, .packets, .bytes]) | sort')" = \
		'[["egress","icmp",5,490],["ingress","icmp",5,490]]' ]
	[[ "${lines[-1]}" == *"done: nothing left behind"* ]]
	[ "$(ip netns list | wc -l)" = "$before_ns" ]
	[ "$(ip -o link | wc -l)" = "$before_links" ]
	[ -z "$(ls "$XDPKIT_BPFFS" 2>/dev/null)" ]
	# not even the pin root it made (it stayed, empty, before)
	[ ! -e "$XDPKIT_BPFFS" ]
}

@test "make demo cut short (its output piped into head): still removes everything" {
	before_ns=$(ip netns list | wc -l)
	before_links=$(ip -o link | wc -l)
	run sh -c "sh '$XK_TOP/examples/demo.sh' | head -n 1"
	[ "$status" -eq 0 ]
	[[ "$output" == "== making namespace"* ]]
	for _ in $(seq 50); do
		[ "$(ip netns list | wc -l)" = "$before_ns" ] && [ "$(ip -o link | wc -l)" = "$before_links" ] && break
		sleep 0.1
	done
	[ "$(ip netns list | wc -l)" = "$before_ns" ]
	[ "$(ip -o link | wc -l)" = "$before_links" ]
	[ -z "$(ls "$XDPKIT_BPFFS" 2>/dev/null)" ]
}

@test "make demo on a host that already routes its subnets elsewhere: still counts its own pings" {
	# another interface holding every /30 the demo may pick, added first
	ip link add "${A}c" type veth peer name "${B}c" netns "$NS"
	for i in $(seq 0 255); do ip addr add "198.18.$i.1/30" dev "${A}c"; done
	ip link set "${A}c" up
	run make -C "$XK_TOP" --no-print-directory -s demo
	ip link del "${A}c"
	[ "$status" -eq 0 ]
	[ "$(grep '^{"type":"global"' <<<"$output" | jq -sc 'map([.dir, .packets, .bytes])')" = \
		'[["ingress",5,490],["egress",5,490]]' ]
}
