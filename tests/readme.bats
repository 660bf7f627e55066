#!/usr/bin/env bats
# The README's examples run, as written, against a real attachment (eth0 is
# the test's veth; sudo is dropped: the tests run as root).

load helpers

setup() {
	xk_setup
	CG="" SRV_PID=""
}

teardown() {
	[ -z "$SRV_PID" ] || kill "$SRV_PID" 2>/dev/null || :
	if [ -n "$CG" ]; then
		xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || :; done
		for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	fi
	xk_teardown
}

# The example commands of README.md, one a line, made runnable here.
readme_examples() {
	sed -n '/^<!-- test -->$/,/^<!-- \/test -->$/p' "$XK_TOP/README.md" |
		grep '^    [^#]' | sed 's/^    //; s/^sudo //; s/| jq/| jq/' |
		sed "s#bin/#$XK_TOP/bin/#g; s#-L lib #-L $XK_TOP/lib #g; s#eth0#$A#g"
}

# The recipes of the block marked "test NAME" (capture, dns), likewise.
readme_recipes() { # NAME
	sed -n "/^<!-- test $1 -->\$/,/^<!-- \\/test -->\$/p" "$XK_TOP/README.md" |
		grep '^    [^#]' | sed 's/^    //; s/^sudo //' |
		sed "s#/tmp/#$BATS_TEST_TMPDIR/#g; s#bin/#$XK_TOP/bin/#g; s#eth0#$A#g"
}

# Run recipe $1 in the background, output in $BATS_TEST_TMPDIR/ex$1; return
# once its reader is armed (the settings map $2: capture, dns).
recipe() { # N [MAP]
	bash -o pipefail -c "${ex[$1]}" >"$BATS_TEST_TMPDIR/ex$1" 2>"$BATS_TEST_TMPDIR/ex$1.err" 3>&- &
	pid=$!
	xk_reader_armed "$A" "${2:-capture}" || { cat "$BATS_TEST_TMPDIR/ex$1.err"; return 1; }
}

@test "README capture recipes give the exact results" {
	mapfile -t ex < <(readme_recipes capture)
	[ "${#ex[@]}" -eq 4 ]
	recipe 0
	xk_send_in 100 60
	wait "$pid"
	[ "$(jq -c 'select(.type == "packet" and .len == 60 and .dir == "ingress")' "$BATS_TEST_TMPDIR/ex0" | wc -l)" = 100 ]
	recipe 1
	xk_craft_in portscan 1 443 # SYNs to ports 1 to 443 from 198.18.9.1
	xk_craft_in udp_to 1 443
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/ex1")" = 198.18.9.1 ]
	recipe 2
	xk_craft_in udp4 700
	xk_craft_in tcp6 300
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/ex2")" = '[{"src":"198.18.9.1","packets":700},{"src":"fd00:db8::1","packets":300}]' ]
	recipe 3
	xk_craft_in udp4 100
	wait "$pid"
	[ "$(tcpdump -nr "$BATS_TEST_TMPDIR/$A.pcapng" 2>/dev/null | grep -c '198.18.9.1.40000 > 198.18.9.2.53: ')" = 10 ]
}

@test "README DNS recipes give the exact results" {
	mapfile -t ex < <(readme_recipes dns)
	[ "${#ex[@]}" -eq 3 ]
	recipe 0 dns
	xk_craft_in dns_q 1 10
	wait "$pid"
	[ "$(jq -c 'select(.type == "dns" and .qname == "www.example.test." and .dir == "ingress")' "$BATS_TEST_TMPDIR/ex0" | wc -l)" = 10 ]
	recipe 1 dns
	xk_craft_in dns_q 1
	xk_craft_in dns_resp 1
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/ex1")" = www.example.test. ]
	recipe 2 dns
	xk_craft_in dns_q 1 100
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/ex2")" = '[{"qname":"www.example.test.","queries":100}]' ]
}

@test "README examples give the exact results" {
	xdp-attach "$A" stats
	xk_send_in 4 100
	xk_send_out 3 60
	xk_craft_in udp4 2
	[ "$(xk_wait_count "$A" ingress packets 6)" = 6 ]
	[ "$(xk_wait_count "$A" egress packets 3)" = 3 ]
	mapfile -t ex < <(readme_examples)
	[ "${#ex[@]}" -eq 7 ]
	run bash -o pipefail -c "${ex[0]}"
	[ "$status" -eq 0 ]
	[ "$output" = 6 ]
	run bash -o pipefail -c "${ex[1]}"
	[ "$output" = $((4 * 100 + 2 * 62 + 3 * 60)) ]
	run bash -o pipefail -c "${ex[2]}"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "ingress                 6                  524" ]
	[ "${lines[2]}" = "egress                  3                  180" ]
	run bash -o pipefail -c "${ex[4]}"
	[ "$status" -eq 0 ]
	[ "$output" = '["198.18.9.1","198.18.9.2",124]' ]
	run bash -o pipefail -c "${ex[6]}"
	[ "$status" -eq 0 ]
	[ "$output" = "198.18.9.1 124" ]
	bash -o pipefail -c "${ex[5]}" >"$BATS_TEST_TMPDIR/ports" 3>&- &
	pid=$!
	sleep 0.5
	xk_craft_in udp4 5
	wait "$pid"
	# 5 frames of 62 bytes in a little over 2 s: about 1240 bit/s
	run cat "$BATS_TEST_TMPDIR/ports"
	[[ "$output" =~ ^\[\"ingress\",\"udp\",53,(1[12][0-9][0-9])\]$ ]]
	run bash -o pipefail -c "${ex[3]}"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	tc filter del dev "$A" ingress pref 22596 handle 1 bpf
	run bash -c "${ex[3]}"
	[ "$output" = "$A" ]
}

@test "README pipelines give the exact results" {
	CG=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)/xktest-$XK_ID
	mkdir "$CG"
	mapfile -t ex < <(readme_recipes pipelines | sed -e "s#-L lib #-L $XK_TOP/lib #" \
		-e "s#--cgroup /system.slice --duration 60#--cgroup $CG --count 3#")
	[ "${#ex[@]}" -eq 4 ]
	xdp-attach "$A" stats dns
	snap=$BATS_TEST_TMPDIR/snap
	# 14 snapshots: the talkers of the first, before the hour, are not counted
	xk_craft_in flood 5
	xdp-snapshot "$A" --dir "$snap" >/dev/null
	xk_craft_in udp4 3
	for _ in $(seq 12); do xdp-snapshot "$A" --dir "$snap" --top 0 >/dev/null; done
	xk_craft_in udp4 4
	xk_craft_out udp4 2
	sleep 1
	xdp-snapshot "$A" --dir "$snap" >/dev/null
	[ "$(ls "$snap" | wc -l)" = 14 ]
	run bash -o pipefail -c "${ex[0]}"
	echo "$output"
	[ "$status" -eq 0 ]
	# the hour runs from the second snapshot: of 198.18.9.1's 3 + 4 frames of
	# 62 bytes the last 4; the 2 to 198.18.9.2; not the flood before
	[ "$output" = "$(printf '198.18.9.1 %s\n198.18.9.2 %s' $((4 * 62)) $((2 * 62)))" ]
	run bash -o pipefail -c "${ex[1]}"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ingress udp/53 %s\negress udp/53 %s' $((7 * 62)) $((2 * 62)))" ]
	# NXDOMAIN: 3 queries, one NXDOMAIN response
	bash -o pipefail -c "${ex[2]}" >"$BATS_TEST_TMPDIR/nx" 2>"$BATS_TEST_TMPDIR/nx.err" 3>&- &
	pid=$!
	xk_dns_armed "$A"
	xk_craft_in dns_q 3
	xk_craft_out dns_resp 1
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/nx")" = '{"responses":1,"nxdomain":1,"share":1}' ]
	# connection durations: 3 connections to a server in the namespace
	ip addr add 198.18.78.1/24 dev "$A"
	ip -n "$NS" addr add 198.18.78.2/24 dev "$B"
	xk_http_server 8080 198.18.78.2 1000
	bash -o pipefail -c "${ex[3]}" >"$BATS_TEST_TMPDIR/ct" 2>"$BATS_TEST_TMPDIR/ct.err" 3>&- &
	pid=$!
	xk_ct_armed
	for _ in 1 2 3; do
		xk_in_cg "$CG" curl -s -o /dev/null http://198.18.78.2:8080/file
	done
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/ct" "$BATS_TEST_TMPDIR/ct.err"
	jq -e '.n == 3 and .p50 > 0 and .p50 <= .p90 and .p90 <= .p99 and .p99 < 5000' "$BATS_TEST_TMPDIR/ct"
}
