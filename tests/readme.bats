#!/usr/bin/env bats
# The README's examples run, as written, against a real attachment (eth0 is
# the test's veth; sudo is dropped: the tests run as root).

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

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
