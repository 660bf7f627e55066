#!/usr/bin/env bats
# Operator faults with the modules running: a full disk under xdp-snapshot
# and xdp-prom --textfile, bpffs unmounted under a running capture (in a
# private mount namespace), the tracker's cgroup removed, attaches and
# detaches of every module racing.

load helpers

setup() {
	xk_setup
	FULL=$BATS_TEST_TMPDIR/full
	CG=/sys/fs/cgroup/unified/xk$XK_ID
	PIDS=""
}

teardown() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || :; done
	pkill -9 -f "xk-drain .*$XDPKIT_BPFFS" 2>/dev/null || :
	umount "$FULL" 2>/dev/null || :
	if [ -d "$CG" ] || [ -d "$XDPKIT_BPFFS/cgroup" ]; then
		xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
		rmdir "$CG" 2>/dev/null || :
	fi
	xk_teardown
}

# A tmpfs of 256 KiB at FULL, filled but for FREE KiB.
full_disk() { # FREE
	mkdir -p "$FULL"
	mount -t tmpfs -o size=256k tmpfs "$FULL"
	dd if=/dev/zero of="$FULL/fill" bs=1k count=$((256 - $1)) 2>/dev/null || :
}

@test "a full disk: xdp-snapshot and xdp-prom --textfile exit 1 with one line, write no partial file, keep the earlier one" {
	xdp-attach "$A" count stats dns
	xk_send_in 5 100
	full_disk 200
	xdp-snapshot "$A" --dir "$FULL" >/dev/null
	xdp-prom "$A" --textfile "$FULL"
	local snap prom
	snap=$(ls "$FULL"/xdpkit-*.jsonl)
	prom=$(md5sum <"$FULL/xdpkit.prom")
	rm -f "$FULL/fill"
	dd if=/dev/zero of="$FULL/fill" bs=1k count=256 2>/dev/null || :
	sleep 1 # another second: another snapshot name
	run xdp-snapshot "$A" --dir "$FULL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "xdp-snapshot: error: "*"disk full"* ]]
	run xdp-prom "$A" --textfile "$FULL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "xdp-prom: error: "*"disk full"* ]]
	# nothing new, nothing half-written, the earlier files whole
	[ "$(ls -A "$FULL" | sort)" = "$(printf '%s\n' fill xdpkit.prom "${snap##*/}" | sort)" ]
	[ "$(md5sum <"$FULL/xdpkit.prom")" = "$prom" ]
	jq -c . "$snap" >/dev/null
	# room again: both work
	rm -f "$FULL/fill"
	xdp-snapshot "$A" --dir "$FULL" >/dev/null
	xdp-prom "$A" --textfile "$FULL"
	[ "$(ls "$FULL"/xdpkit-*.jsonl | wc -l)" -eq 2 ]
}

@test "bpffs unmounted under a running capture (private mount namespace): it stops with exit 7 and its count; outside, capture is off and the rest counts on" {
	xdp-attach "$A" count stats
	cat >"$BATS_TEST_TMPDIR/um.sh" <<-'EOF'
		xdp-capture "$1" --json >"$2/um.out" 2>"$2/um.err" &
		c=$!
		i=0
		until [ "$(xdp-status "$1" --json | jq -r .capture.running)" = true ]; do
			i=$((i + 1)); [ "$i" -lt 200 ] || exit 90
			sleep 0.1
		done
		umount /sys/fs/bpf || exit 91
		i=0
		while kill -0 "$c" 2>/dev/null; do
			i=$((i + 1)); [ "$i" -lt 100 ] || { kill -9 "$c"; exit 92; }
			sleep 0.1
		done
		wait "$c"
		echo "capture $?"
	EOF
	run unshare -m --propagation private sh "$BATS_TEST_TMPDIR/um.sh" "$A" "$BATS_TEST_TMPDIR"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/um.err"
	[ "$status" -eq 0 ]
	[ "$output" = "capture 7" ]
	grep -q "^xdp-capture: $A: 0 events, 0 lost" "$BATS_TEST_TMPDIR/um.err"
	# outside: the pins are there, capture is off (its deadline cleared),
	# the features of the attach count on
	run xdp-status "$A" --json
	echo "$output"
	[ "$(jq -r '.capture.running, .capture.deadline, .health' <<<"$output" | tr '\n' ' ')" = "false null ok " ]
	xk_send_in 4 100
	[ "$(xk_wait_count "$A" ingress packets 4)" = 4 ]
}

@test "the tracker's cgroup removed: status says stale (exit 1), detach removes the pins, a new cgroup of that path is tracked anew" {
	mkdir "$CG"
	xdp-attach --cgroup "$CG" conntrack
	rmdir "$CG"
	run xdp-status --json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(jq -sr 'map(select(.scope == "cgroup"))[0] | .health, .problems[0]' <<<"$output" | tr '\n' '|')" = \
		"stale|cgroup $CG does not exist|" ]
	run xdp-detach --cgroup "$CG"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ls "$XDPKIT_BPFFS/cgroup" 2>/dev/null)" ]
	mkdir "$CG"
	xdp-attach --cgroup "$CG" conntrack
	run xdp-status --json
	[ "$status" -eq 0 ]
	[ "$(jq -sr 'map(select(.scope == "cgroup")) | length' <<<"$output")" = 1 ]
	xdp-detach --cgroup "$CG"
}

@test "attaches and detaches of every module racing on one interface and the tracker: each ends whole, the last word holds" {
	mkdir "$CG"
	local i p rc=0
	for i in 1 2 3 4 5; do
		PIDS=""
		xdp-attach "$A" count stats >/dev/null 2>&1 & PIDS="$PIDS $!"
		xdp-attach "$A" dns >/dev/null 2>&1 & PIDS="$PIDS $!"
		xdp-attach --cgroup "$CG" conntrack >/dev/null 2>&1 & PIDS="$PIDS $!"
		xdp-detach "$A" dns >/dev/null 2>&1 & PIDS="$PIDS $!"
		xdp-attach "$A" capture >/dev/null 2>&1 & PIDS="$PIDS $!"
		for p in $PIDS; do wait "$p" || rc=$?; done
		PIDS=""
		# each command either did its part or said why (exit 7: dns not on
		# yet for the detach); the state is whole, whatever order they ran
		run xdp-status --json
		echo "round $i: $output"
		[ "$status" -eq 0 ]
		jq -se --arg a "$A" 'map(select(.iface == $a or .scope == "cgroup")) | length == 2 and all(.[]; .health == "ok")' <<<"$output"
		jq -se --arg a "$A" 'map(select(.iface == $a))[0].features | index("count") and index("stats") and index("capture")' <<<"$output"
		jq -se 'map(select(.scope == "cgroup"))[0].sockops.attached' <<<"$output"
		[ "$(bpftool -j cgroup show "$CG" | jq -s 'map(.[]) | length')" = 1 ]
		xk_send_in 3 100
		[ "$(xk_wait_count "$A" ingress packets $((3 * i)))" = $((3 * i)) ]
	done
	echo "last status of the racers: $rc"
	xdp-detach "$A"
	xdp-detach --cgroup "$CG"
	[ ! -e "$(xk_pins "$A")" ]
	[ "$(bpftool -j cgroup show "$CG" | jq -s 'map(.[]) | length')" = 0 ]
}

@test "an upgrade that changes one module's layout (DNS) while capture, DNS and the tracker run: the readers deliver across it, counters kept" {
	local lib cap dns ct
	mkdir "$CG"
	xdp-attach "$A" count stats dns
	xdp-attach --cgroup "$CG" conntrack
	xdp-capture "$A" --json >"$BATS_TEST_TMPDIR/cap" 2>"$BATS_TEST_TMPDIR/cap.err" 3>&- &
	cap=$!
	xdp-dns "$A" --json >"$BATS_TEST_TMPDIR/dns" 2>"$BATS_TEST_TMPDIR/dns.err" 3>&- &
	dns=$!
	xdp-conntrack --cgroup "$CG" --json >"$BATS_TEST_TMPDIR/ct" 2>"$BATS_TEST_TMPDIR/ct.err" 3>&- &
	ct=$!
	PIDS="$cap $dns $ct"
	xk_capture_armed "$A"
	xk_dns_armed "$A"
	xk_ct_armed
	xk_craft_in dns_q 3
	[ "$(xk_wait_count "$A" ingress packets 3)" = 3 ]
	# the DNS scratch buffer's layout changes: made anew, the rest kept
	lib=$BATS_TEST_TMPDIR/lib
	mkdir -p "$lib"
	cp "$XK_TOP/build/xk-dump" "$lib/"
	cp "$XK_TOP/build/test/scratch.bpf.o" "$lib/xdpkit.bpf.o"
	run env XDPKIT_LIBEXEC="$lib" xdp-attach "$A" count stats dns
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"programs replaced, counters kept"* ]]
	xk_craft_in dns_q 4
	[ "$(xk_wait_count "$A" ingress packets 7)" = 7 ]
	sleep 0.5
	kill -0 "$cap" && kill -0 "$dns" && kill -0 "$ct"
	kill -TERM "$cap" "$dns" "$ct"
	wait "$cap"
	wait "$dns"
	wait "$ct"
	PIDS=""
	cat "$BATS_TEST_TMPDIR/cap.err" "$BATS_TEST_TMPDIR/dns.err"
	# every frame before and after the upgrade, once each, none lost
	[ "$(jq -s 'length' "$BATS_TEST_TMPDIR/cap")" = 7 ]
	[ "$(jq -s 'map(select(.qr == "query")) | length' "$BATS_TEST_TMPDIR/dns")" = 7 ]
	grep -q ": 7 events, 0 lost" "$BATS_TEST_TMPDIR/cap.err"
	grep -q ": 7 events, 0 lost" "$BATS_TEST_TMPDIR/dns.err"
	[ "$(xdp-stats "$A" --json | jq -s 'map(select(.type == "dns_stats" and .dir == "ingress"))[0].queries')" = 7 ]
	run xdp-status --json
	[ "$status" -eq 0 ]
}
