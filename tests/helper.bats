#!/usr/bin/env bats
# helpers/xk-dump: exact per-CPU sums (BPF_PROG_TEST_RUN), every BTF rendering
# and folding rule, batch and per-key reads agree, JSON that parses, and no
# leaks or memory errors under valgrind.

load helpers

DUMP=$XK_TOP/build/xk-dump

setup() {
	xk_mount_bpffs
	xk_names
	mkdir -p "$XDPKIT_BPFFS"
	NCPU=$(awk -F- '{ print ($2 == "" ? 1 : $2 + 1) }' /sys/devices/system/cpu/possible)
}
teardown() { rm -rf "$XDPKIT_BPFFS"; }

load_datapath() {
	bpftool prog loadall "$XK_TOP/build/xdpkit.bpf.o" "$XDPKIT_BPFFS/p" pinmaps "$XDPKIT_BPFFS/m"
	# config: features = count (bit 0)
	bpftool map update pinned "$XDPKIT_BPFFS/m/config" key hex 00 00 00 00 value hex \
		01 00 00 00 $(printf '00 %.0s' $(seq $(($(bpftool -j map show pinned "$XDPKIT_BPFFS/m/config" | jq .bytes_value) - 4))))
}

frame() { # LEN -> a file holding a frame of LEN bytes
	head -c "$1" /dev/zero >"$BATS_TEST_TMPDIR/frame$1"
	echo "$BATS_TEST_TMPDIR/frame$1"
}

@test "23 test runs on each CPU sum to exactly 46 packets and 46 x 77 bytes" {
	load_datapath
	f=$(frame 77)
	for cpu in 0 1; do
		taskset -c "$cpu" bpftool prog run pinned "$XDPKIT_BPFFS/p/xdpkit_ingress" data_in "$f" repeat 23
	done
	run "$DUMP" --iface t "$XDPKIT_BPFFS/m/global"
	[ "$status" -eq 0 ]
	jq -e . <<<"${lines[0]}" >/dev/null
	[ "$(jq -c '{type, iface, dir, packets, bytes}' <<<"${lines[0]}")" = '{"type":"global","iface":"t","dir":"ingress","packets":46,"bytes":3542}' ]
	[ "$(jq -c '{type, iface, dir, packets, bytes}' <<<"${lines[1]}")" = '{"type":"global","iface":"t","dir":"egress","packets":0,"bytes":0}' ]
}

@test "the tc program counts egress: 23 runs, exact" {
	load_datapath
	f=$(frame 64)
	bpftool prog run pinned "$XDPKIT_BPFFS/p/xdpkit_egress" data_in "$f" repeat 23
	[ "$("$DUMP" "$XDPKIT_BPFFS/m/global" | jq -c 'select(.dir == "egress") | [.packets, .bytes]')" = '[23,1472]' ]
}

@test "with every feature off, nothing is counted" {
	bpftool prog loadall "$XK_TOP/build/xdpkit.bpf.o" "$XDPKIT_BPFFS/p" pinmaps "$XDPKIT_BPFFS/m"
	bpftool prog run pinned "$XDPKIT_BPFFS/p/xdpkit_ingress" data_in "$(frame 64)" repeat 23
	[ "$("$DUMP" "$XDPKIT_BPFFS/m/global" | jq -s 'map(.packets) | add')" = 0 ]
}

fixture() {
	bpftool prog loadall "$XK_TOP/build/test/maps.bpf.o" "$XDPKIT_BPFFS/p" pinmaps "$XDPKIT_BPFFS/m"
}

# key: src ::ffff:10.0.0.1, dst fd00:db8::2, sport 443, dport 53, tcp, family 4
KEY="00 00 00 00 00 00 00 00 00 00 ff ff 0a 00 00 01
     fd 00 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
     01 bb 00 35 06 04 00 00"
# value: packets 5, first_seen 1 s, last_seen 3 s, tcp_flags SYN|ACK,
# delta -7, name 'a"b\n', hist [1,2,3]
VAL="05 00 00 00 00 00 00 00  00 ca 9a 3b 00 00 00 00  00 5e d0 b2 00 00 00 00
     12 00 00 00 f9 ff ff ff  61 22 62 0a 00 00 00 00
     01 00 00 00 00 00 00 00  02 00 00 00 00 00 00 00  03 00 00 00 00 00 00 00"

@test "BTF rendering: addresses, ports, protocol, flags, times, strings, arrays" {
	fixture
	# shellcheck disable=SC2086
	bpftool map update pinned "$XDPKIT_BPFFS/m/fx_hash" key hex 07 00 00 00 value hex $VAL
	run "$DUMP" "$XDPKIT_BPFFS/m/fx_hash"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c 'del(.ts, .first_seen, .last_seen)' <<<"$output")" = \
		'{"type":"fx_hash","key":7,"packets":5,"tcp_flags":["SYN","ACK"],"delta":-7,"name":"a\"b\n","hist":[1,2,3]}' ]
	[ "$(jq '.last_seen - .first_seen | . * 1000 | round' <<<"$output")" = 2000 ]
}

@test "bitfields print their bits; enums lose the prefix their enumerators share" {
	fixture
	# a=5 (bits 0-2), b=17 (bits 3-7), flag=1 (bit 8); rcode 3
	bpftool map update pinned "$XDPKIT_BPFFS/m/fx_bits" key hex 00 00 00 00 value hex \
		8d 01 00 00 03 00 00 00
	run "$DUMP" "$XDPKIT_BPFFS/m/fx_bits"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'del(.ts)' <<<"$output")" = \
		'{"type":"fx_bits","key":0,"a":5,"b":17,"flag":1,"rcode":"nxdomain"}' ]
	run "$DUMP" --enums "$XDPKIT_BPFFS/m/fx_bits"
	[ "$(jq -c 'select(.enum == "xk_fx_rcode") | [.flags, .names]' <<<"$output")" = \
		'[false,{"noerror":0,"nxdomain":3}]' ]
}

@test "per-CPU folding: counters add, first/last keep min/max, flags OR, strings kept" {
	fixture
	# bpftool writes the same value on every possible CPU
	# shellcheck disable=SC2086
	bpftool map update pinned "$XDPKIT_BPFFS/m/fx_pcpu" key hex $KEY value hex $VAL
	run "$DUMP" --type flow "$XDPKIT_BPFFS/m/fx_pcpu"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'del(.ts, .first_seen, .last_seen)' <<<"$output")" = \
		"{\"type\":\"flow\",\"src\":\"10.0.0.1\",\"dst\":\"fd00:db8::2\",\"sport\":443,\"dport\":53,\"proto\":\"tcp\",\"family\":4,\"packets\":$((5 * NCPU)),\"tcp_flags\":[\"SYN\",\"ACK\"],\"delta\":$((-7 * NCPU)),\"name\":\"a\\\"b\\n\",\"hist\":[$NCPU,$((2 * NCPU)),$((3 * NCPU))]}" ]
	[ "$(jq '.last_seen - .first_seen | . * 1000 | round' <<<"$output")" = 2000 ]
}

# 10,000 entries in one bpftool process
fill() { # MAP N
	local i
	for i in $(seq 1 "$2"); do
		printf 'map update pinned %s key %d %d %d %d value hex %s\n' "$1" \
			$((i & 255)) $(((i >> 8) & 255)) 0 0 "$(echo $VAL | tr -s ' \n' '  ')"
	done >"$BATS_TEST_TMPDIR/batch"
	bpftool batch file "$BATS_TEST_TMPDIR/batch" >/dev/null
}

@test "10,000 entries: batch and per-key reads print the same lines, all valid JSON" {
	fixture
	fill "$XDPKIT_BPFFS/m/fx_hash" 10000
	"$DUMP" "$XDPKIT_BPFFS/m/fx_hash" | jq -c 'del(.ts)' | sort >"$BATS_TEST_TMPDIR/batch.out"
	XK_DUMP_NO_BATCH=1 "$DUMP" "$XDPKIT_BPFFS/m/fx_hash" | jq -c 'del(.ts)' | sort >"$BATS_TEST_TMPDIR/key.out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/batch.out")" -eq 10000 ]
	[ "$(jq -s 'map(.key) | unique | length' "$BATS_TEST_TMPDIR/batch.out")" -eq 10000 ]
	cmp "$BATS_TEST_TMPDIR/batch.out" "$BATS_TEST_TMPDIR/key.out"
}

@test "--nonzero leaves out all-zero entries" {
	load_datapath
	bpftool prog run pinned "$XDPKIT_BPFFS/p/xdpkit_ingress" data_in "$(frame 60)" repeat 3
	[ "$("$DUMP" --nonzero "$XDPKIT_BPFFS/m/global" | jq -c '[.dir, .packets]')" = '["ingress",3]' ]
}

@test "errors: missing pin, not a map, map without BTF, bad usage" {
	run "$DUMP" "$XDPKIT_BPFFS/nope"
	[ "$status" -eq 1 ]
	[ "$output" = "xk-dump: error: $XDPKIT_BPFFS/nope: No such file or directory" ]
	load_datapath
	run "$DUMP" "$XDPKIT_BPFFS/p/xdpkit_ingress"
	[ "$status" -eq 1 ]
	[[ "$output" == "xk-dump: error: "* ]]
	bpftool map create "$XDPKIT_BPFFS/nobtf" type hash key 4 value 8 entries 4 name nobtf
	run "$DUMP" "$XDPKIT_BPFFS/nobtf"
	[ "$status" -eq 1 ]
	[ "$output" = "xk-dump: error: $XDPKIT_BPFFS/nobtf: map has no BTF, nor has a program that uses it" ]
	run "$DUMP"
	[ "$status" -eq 2 ]
	run "$DUMP" --bogus x
	[ "$status" -eq 2 ]
}

@test "valgrind: no leaks, no memory errors (per-CPU array, per-CPU hash, 10,000-entry hash, fallback)" {
	fixture
	load_datapath
	# shellcheck disable=SC2086
	bpftool map update pinned "$XDPKIT_BPFFS/m/fx_pcpu" key hex $KEY value hex $VAL
	fill "$XDPKIT_BPFFS/m/fx_hash" 10000
	for args in "$XDPKIT_BPFFS/m/global" "$XDPKIT_BPFFS/m/fx_pcpu" "--iface x $XDPKIT_BPFFS/m/fx_hash"; do
		# shellcheck disable=SC2086
		run valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
			--error-exitcode=99 -q "$DUMP" $args
		[ "$status" -eq 0 ]
		[ -z "$(grep '^==' <<<"$output")" ]
	done
	XK_DUMP_NO_BATCH=1 run valgrind --leak-check=full --error-exitcode=99 -q \
		--suppressions="$XK_TOP/tests/valgrind.supp" "$DUMP" "$XDPKIT_BPFFS/m/fx_hash"
	[ "$status" -eq 0 ]
	[ -z "$(grep '^==' <<<"$output")" ]
}

@test "--by-key: slots grouped by the key they carry, folded across CPUs, empty slots skipped" {
	load_datapath
	# a flow slot: key 10.0.0.1:40000 -> 10.0.0.2:80 tcp, ingress; 3 packets, 180 bytes,
	# first 1 s, last 3 s, SYN|ACK; written by bpftool on every CPU, in both ways of a set
	slot="00 00 00 00 00 00 00 00 00 00 ff ff 0a 00 00 01
	      00 00 00 00 00 00 00 00 00 00 ff ff 0a 00 00 02
	      9c 40 00 50 06 04 00 00
	      03 00 00 00 00 00 00 00  b4 00 00 00 00 00 00 00
	      00 ca 9a 3b 00 00 00 00  00 5e d0 b2 00 00 00 00  12 00 00 00 00 00 00 00"
	# shellcheck disable=SC2086
	bpftool map update pinned "$XDPKIT_BPFFS/m/flows" key 5 0 0 0 value hex $slot $slot
	run "$DUMP" --by-key key --type flow "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c 'del(.ts, .first_seen, .last_seen)' <<<"$output")" = \
		"{\"type\":\"flow\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"sport\":40000,\"dport\":80,\"proto\":\"tcp\",\"family\":4,\"dir\":\"ingress\",\"packets\":$((3 * 2 * NCPU)),\"bytes\":$((180 * 2 * NCPU)),\"tcp_flags\":[\"SYN\",\"ACK\"]}" ]
	[ "$(jq '.last_seen - .first_seen | . * 1000 | round' <<<"$output")" = 2000 ]
	run valgrind --leak-check=full --error-exitcode=99 -q "$DUMP" --by-key key "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 0 ]
	run "$DUMP" --by-key nosuch "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 1 ]
	[ "$output" = "xk-dump: error: $XDPKIT_BPFFS/m/flows: --by-key: the value has no such member" ]
}

# A flow slot as bpftool hex: 198.18.0.1:40000 -> 198.18.0.2:80 tcp, ingress,
# PACKETS and BYTES (< 256 each), first seen at FIRST s (< 4), last at 3 s.
slot_hex() { # PACKETS BYTES FIRST
	printf '%s ' 00 00 00 00 00 00 00 00 00 00 ff ff c6 12 00 01 \
		00 00 00 00 00 00 00 00 00 00 ff ff c6 12 00 02 9c 40 00 50 06 04 00 00
	printf '%02x 00 00 00 00 00 00 00 %02x 00 00 00 00 00 00 00 ' "$1" "$2"
	case $3 in 1) printf '00 ca 9a 3b ' ;; 2) printf '00 94 35 77 ' ;; esac
	printf '00 00 00 00 00 5e d0 b2 00 00 00 00 12 00 00 00 00 00 00 00 '
	# the other way of the set: empty
	printf '%s\n' "$(printf '00 %.0s' $(seq 80))"
}

@test "--save and --since: deltas exact, a counter that went down or a new first-seen counts whole; valgrind clean" {
	load_datapath
	# valgrind's findings (==PID== lines) and warnings (it does not know
	# BPF_MAP_LOOKUP_BATCH) go to vg.err; errors also make the status 99
	vg() {
		valgrind --leak-check=full --error-exitcode=99 -q "$DUMP" "$@" 2>"$BATS_TEST_TMPDIR/vg.err"
		local s=$?
		! grep '^==' "$BATS_TEST_TMPDIR/vg.err" >&2
		return "$s"
	}
	# shellcheck disable=SC2046
	bpftool map update pinned "$XDPKIT_BPFFS/m/flows" key 5 0 0 0 value hex $(slot_hex 3 180 1)
	run vg --save "$BATS_TEST_TMPDIR/s1" --top 0 --sort bytes "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run vg --save "$BATS_TEST_TMPDIR/g1" "$XDPKIT_BPFFS/m/global"
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2046
	bpftool map update pinned "$XDPKIT_BPFFS/m/flows" key 5 0 0 0 value hex $(slot_hex 10 250 1)
	run vg --since "$BATS_TEST_TMPDIR/s1" --top 5 --sort bytes --top-per dir "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.packets, .delta]' <<<"$output")" = "[$((10 * NCPU)),{\"packets\":$((7 * NCPU)),\"bytes\":$((70 * NCPU))}]" ]
	[ "$(jq '.dt > 0 and .dt < 60' <<<"$output")" = true ]
	# shellcheck disable=SC2046
	bpftool map update pinned "$XDPKIT_BPFFS/m/flows" key 5 0 0 0 value hex $(slot_hex 2 100 1)
	[ "$("$DUMP" --since "$BATS_TEST_TMPDIR/s1" "$XDPKIT_BPFFS/m/flows" | jq -c .delta.packets)" = $((2 * NCPU)) ]
	# shellcheck disable=SC2046
	bpftool map update pinned "$XDPKIT_BPFFS/m/flows" key 5 0 0 0 value hex $(slot_hex 5 100 2)
	[ "$("$DUMP" --since "$BATS_TEST_TMPDIR/s1" "$XDPKIT_BPFFS/m/flows" | jq -c .delta.packets)" = $((5 * NCPU)) ]
	# an ordinary map by its keys; another map's reading: no deltas to take, all whole
	run vg --since "$BATS_TEST_TMPDIR/g1" "$XDPKIT_BPFFS/m/global"
	[ "$status" -eq 0 ]
	[ "$(jq -sc 'map(.delta.packets)' <<<"$output")" = '[0,0]' ]
	[ "$("$DUMP" --since "$BATS_TEST_TMPDIR/s1" "$XDPKIT_BPFFS/m/global" | jq -sc 'map(.delta | has("sizes"))')" = '[true,true]' ]
	# bad input: no file, not a reading, --top without --sort
	run "$DUMP" --since "$BATS_TEST_TMPDIR/nope" "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 1 ]
	run "$DUMP" --since "$XK_TOP/build/version" "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a reading saved by xk-dump --save"* ]]
	run "$DUMP" --top 3 "$XDPKIT_BPFFS/m/flows"
	[ "$status" -eq 2 ]
}

@test "a table made by bpftool map create (no BTF) is read through the BTF of the program that uses it" {
	bpftool map create "$XDPKIT_BPFFS/t" type percpu_array key 4 value 160 entries 4 name flows
	bpftool prog loadall "$XK_TOP/build/xdpkit.bpf.o" "$XDPKIT_BPFFS/p" map name flows pinned "$XDPKIT_BPFFS/t" \
		pinmaps "$XDPKIT_BPFFS/m"
	[ "$(bpftool -j map show pinned "$XDPKIT_BPFFS/t" | jq -c '[.btf_id, .max_entries]')" = '[null,4]' ]
	# shellcheck disable=SC2046
	bpftool map update pinned "$XDPKIT_BPFFS/t" key 3 0 0 0 value hex $(slot_hex 3 180 1)
	run "$DUMP" "$XDPKIT_BPFFS/t"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.type, .src, .dport, .packets]' <<<"$output")" = "[\"flows\",\"198.18.0.1\",80,$((3 * NCPU))]" ]
	[ "$("$DUMP" --count "$XDPKIT_BPFFS/t" | jq -c '[.entries, .capacity]')" = "[$NCPU,$((8 * NCPU))]" ]
	[ "$("$DUMP" --layout "$XDPKIT_BPFFS/t" | jq -r .value_type)" = xk_flow_set ]
	bpftool map create "$XDPKIT_BPFFS/alone" type percpu_array key 4 value 160 entries 4 name alone
	run "$DUMP" "$XDPKIT_BPFFS/alone"
	[ "$status" -eq 1 ]
	[ "$output" = "xk-dump: error: $XDPKIT_BPFFS/alone: map has no BTF, nor has a program that uses it" ]
}
