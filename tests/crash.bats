#!/usr/bin/env bats
# xdp-attach killed (SIGKILL) at every step: whatever it leaves, the next
# xdp-status says so, the next xdp-attach ends attached and healthy, and
# xdp-detach ends with nothing left. XDPKIT_TEST_KILL_AT names the step
# (lib/env.sh, xk_step).

load helpers

setup() { xk_setup; }
teardown() {
	local cg=/sys/fs/cgroup/unified/xk$XK_ID
	if [ -d "$cg" ]; then
		xdp-detach --cgroup "$cg" >/dev/null 2>&1 || :
		rmdir "$cg" 2>/dev/null || :
	fi
	xk_teardown
}

# The steps of an attach with each hook (xdp: XDP on ingress; tc: a tc
# filter on ingress), first and upgrade.
fresh_steps() { # HOOK
	case $1 in
	xdp) echo "locked loaded configured xdp clsact tc-egress commit-maps committed finished" ;;
	tc) echo "locked loaded configured clsact tc-ingress tc-egress commit-maps committed finished" ;;
	esac
}
upgrade_steps() { # HOOK
	case $1 in
	xdp) echo "locked loaded configured xdp tc-egress commit-maps committed finished" ;;
	tc) echo "locked loaded configured tc-ingress tc-egress commit-maps committed finished" ;;
	esac
}

# Nothing of xdpkit's on A: no XDP, no tc filter, no clsact, no pins.
nothing_left() {
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
	[ ! -e "$(xk_pins "$A")" ]
}

# A healthy attachment with FEATURES, the programs attached the pinned ones.
healthy() { # FEATURES-JSON
	run xdp-status "$A" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .health <<<"$output")" = ok ]
	[ "$(jq -c .features <<<"$output")" = "$1" ]
	[ -z "$(ls -d "$(xk_pins "$A")"/_* 2>/dev/null)" ]
}

killed_attach() { # STEP ARG...
	local step=$1
	shift
	XDPKIT_TEST_KILL_AT=$step run xdp-attach "$@"
	echo "killed at $step: status $status"
	[ "$status" -eq 137 ]
}

@test "a first attach killed at any step: status tells, attach finishes it, detach removes all of it" {
	for hook in xdp tc; do
	for step in $(fresh_steps "$hook"); do
		echo "hook $hook"
		killed_attach "$step" "$A" count --hook "$hook"
		run xdp-status "$A" --json
		echo "status after $step: $output"
		[ "$status" -le 1 ] || [ "$status" -eq 7 ]
		[ "$(jq -r .type <<<"$output")" = status ]
		xdp-attach "$A" count --hook "$hook"
		healthy '["count"]'
		[ "$(jq -r .hook <<<"$output")" = "$hook" ]
		xk_send_in 2 100
		[ "$(xk_wait_count "$A" ingress packets 2)" = 2 ]
		xdp-detach "$A"
		nothing_left

		killed_attach "$step" "$A" count --hook "$hook"
		run xdp-detach "$A"
		[ "$status" -eq 0 ]
		# the same interface, whatever config held when the attach died
		[[ "$output" != *"earlier"* ]]
		nothing_left
	done
	done
}

@test "SIGTERM or SIGINT in the middle of a first attach: it says so, undoes it, exits 128+N" {
	for sig in TERM:143 INT:130 HUP:129; do
		for step in configured xdp clsact tc-egress tc-ingress; do
			hook=xdp
			[ "$step" != tc-ingress ] || hook=tc
			XDPKIT_TEST_KILL_AT=$step:${sig%:*} run env --default-signal=INT xdp-attach "$A" count --hook "$hook"
			echo "$step $sig: $status $output"
			[ "$status" -eq "${sig#*:}" ]
			[ "${lines[-1]}" = "xdp-attach: $A: interrupted (signal $((${sig#*:} - 128))): what this run changed is undone" ]
			nothing_left
		done
	done
}

@test "an upgrade killed at any step: the next attach ends healthy with the counters, or detach removes all" {
	lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$lib/"
	cp "$XK_TOP/build/test/rebuilt.bpf.o" "$lib/xdpkit.bpf.o"
	for hook in xdp tc; do
	for step in $(upgrade_steps "$hook"); do
		echo "hook $hook, step $step"
		xdp-attach "$A" count --hook "$hook"
		xk_send_in 3 100
		[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
		XDPKIT_LIBEXEC=$lib killed_attach "$step" "$A" count stats
		xdp-attach "$A" count stats
		healthy '["count","stats"]'
		[ "$(xk_count "$A" ingress packets)" = 3 ]
		xdp-detach "$A"
		nothing_left

		xdp-attach "$A" count --hook "$hook"
		XDPKIT_LIBEXEC=$lib killed_attach "$step" "$A" count
		run xdp-detach "$A"
		[ "$status" -eq 0 ]
		nothing_left
	done
	done
}

@test "a mode change killed at any step: the next attach ends healthy" {
	for step in locked configured xdp-off xdp finished; do
		xdp-attach "$A" count --mode native
		killed_attach "$step" "$A" count --mode generic
		xdp-attach "$A" count --mode generic
		healthy '["count"]'
		[ "$(ip -j link show dev "$A" | jq .[0].xdp.mode)" = 2 ]
		xdp-detach "$A"
		nothing_left
	done
}

@test "a hook change killed at any step: the next attach ends healthy in the hook asked for" {
	for step in locked configured xdp-off tc-ingress finished; do
		xdp-attach "$A" count --hook xdp
		killed_attach "$step" "$A" count --hook tc
		xdp-attach "$A" count --hook tc
		healthy '["count"]'
		[ "$(jq -r .hook <<<"$output")" = tc ]
		[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
		xdp-detach "$A"
		nothing_left
	done
	for step in tc-ingress-off xdp finished; do
		xdp-attach "$A" count --hook tc
		killed_attach "$step" "$A" count --hook xdp
		xdp-attach "$A" count --hook xdp
		healthy '["count"]'
		[ "$(jq -r .hook <<<"$output")" = xdp ]
		[ "$(tc -j filter show dev "$A" ingress | jq '[.[] | select(.options.prog)] | length')" = 0 ]
		xdp-detach "$A"
		nothing_left
	done
}

@test "attach interrupted at random moments by SIGINT, SIGTERM and SIGKILL: always recognised, then healthy or gone" {
	sigs="INT TERM KILL INT TERM KILL INT TERM KILL INT TERM KILL"
	i=0
	for sig in $sigs; do
		i=$((i + 1))
		# a first attach, or an upgrade, cut off after 0-600 ms
		[ $((i % 2)) -eq 0 ] && xdp-attach "$A" count
		# bats starts background jobs with SIGINT ignored: give it back
		# and a process group of its own, so that the signal reaches ip, tc and
		# bpftool too, as Ctrl-C does
		setsid env --default-signal=INT xdp-attach "$A" count stats --flows $((1024 << (i % 3))) 2>/dev/null &
		p=$!
		sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
		kill -s "$sig" -- "-$p" 2>/dev/null || :
		wait "$p" || :
		echo "round $i: SIG$sig"
		run xdp-status "$A" --json
		[ "$(jq -r .type <<<"$output")" = status ]
		if [ $((i % 3)) -eq 0 ]; then
			xdp-detach "$A"
			nothing_left
		else
			xdp-attach "$A" count stats
			healthy '["count","stats"]'
			xdp-detach "$A"
			nothing_left
		fi
	done
}

@test "a detach killed at any step: status tells, the next detach removes all of it, or an attach makes it healthy" {
	local hook step
	for hook in xdp tc; do
		for step in xdp-removed tc-ingress-removed tc-egress-removed unattached clsact-off; do
			[ "$hook" = tc ] && [ "$step" = xdp-removed ] && continue
			[ "$hook" = xdp ] && [ "$step" = tc-ingress-removed ] && continue
			echo "hook $hook, detach killed at $step"
			xdp-attach "$A" count stats --hook "$hook"
			XDPKIT_TEST_KILL_AT=$step run xdp-detach "$A"
			[ "$status" -eq 137 ]
			run xdp-status "$A" --json
			echo "status after $step: $output"
			[ "$(jq -r .type <<<"$output")" = status ]
			[ "$(jq -r .health <<<"$output")" != ok ]
			# again: an attach puts back what the detach took
			xdp-attach "$A" count stats --hook "$hook"
			healthy '["count","stats"]'
			XDPKIT_TEST_KILL_AT=$step run xdp-detach "$A"
			[ "$status" -eq 137 ]
			xdp-detach "$A"
			nothing_left
		done
	done
}

@test "the cgroup tracker's attach and detach killed at any step: the next attach is healthy, the next detach leaves nothing" {
	local cg=/sys/fs/cgroup/unified/xk$XK_ID step
	mkdir "$cg"
	for step in ct-loaded ct-attached ct-maps; do
		echo "attach killed at $step"
		XDPKIT_TEST_KILL_AT=$step run xdp-attach --cgroup "$cg" conntrack
		[ "$status" -eq 137 ]
		run xdp-status --json
		[ "$status" -le 1 ]
		xdp-attach --cgroup "$cg" conntrack
		run xdp-status --json
		echo "$output"
		[ "$(jq -sr 'map(select(.scope == "cgroup"))[0] | .health, .sockops.attached' <<<"$output" | tr '\n' ' ')" = "ok true " ]
		[ "$(bpftool -j cgroup show "$cg" | jq -s 'map(.[] | select(.attach_type == "cgroup_sock_ops" or .attach_type == "sock_ops")) | length')" = 1 ]
		xdp-detach --cgroup "$cg"
		[ "$(bpftool -j cgroup show "$cg" | jq -s 'map(.[]) | length')" = 0 ]
		[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	done
	# its program taken off behind its back: status says so, attach puts it back
	xdp-attach --cgroup "$cg" conntrack
	bpftool cgroup detach "$cg" sock_ops id "$(bpftool -j cgroup show "$cg" | jq '.[0].id')"
	run xdp-status --json
	[ "$(jq -sr 'map(select(.scope == "cgroup"))[0] | .health, .sockops.attached' <<<"$output" | tr '\n' ' ')" = "degraded false " ]
	xdp-attach --cgroup "$cg" conntrack
	[ "$(bpftool -j cgroup show "$cg" | jq -s 'map(.[]) | length')" = 1 ]
	XDPKIT_TEST_KILL_AT=ct-detached run xdp-detach --cgroup "$cg"
	[ "$status" -eq 137 ]
	[ "$(bpftool -j cgroup show "$cg" | jq -s 'map(.[]) | length')" = 0 ]
	xdp-detach --cgroup "$cg"
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	rmdir "$cg"
}
