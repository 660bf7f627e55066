#!/usr/bin/env bats
# The threat model of the README ("Security"), checked: who can read what
# xdpkit pins and writes, hostile arguments to every command (shell and jq
# metacharacters, control characters), and no payload out of the kernel
# unless asked for.

load helpers

setup() {
	xk_setup
	CG=/sys/fs/cgroup/unified/xk$XK_ID
	CANARY=$BATS_TEST_TMPDIR/canary
}

teardown() {
	if [ -d "$CG" ]; then
		xdp-detach --cgroup "$CG" >/dev/null 2>&1 || :
		rmdir "$CG" 2>/dev/null || :
	fi
	xk_teardown
}

one_line_error() { # STATUS COMMAND
	echo "$output"
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "$2: error: "* ]]
}

@test "every pin is root's alone (0600, directories 0755 root); a local user can open none, read no counter, drain no ring" {
	xdp-attach "$A" count stats capture dns
	mkdir "$CG"
	xdp-attach --cgroup "$CG" conntrack
	local f n=0
	while IFS= read -r f; do
		n=$((n + 1))
		if [ -d "$f" ]; then
			[ "$(stat -c '%a %U' "$f")" = "755 root" ] || { echo "$f: $(stat -c '%a %U' "$f")"; return 1; }
		else
			[ "$(stat -c '%a %U' "$f")" = "600 root" ] || { echo "$f: $(stat -c '%a %U' "$f")"; return 1; }
		fi
	done < <(find "$XDPKIT_BPFFS" -mindepth 1)
	[ "$n" -gt 30 ]
	local p
	p=$(xk_pins "$A")
	for f in global flows dns_pending packets dns_events; do
		run xk_as_nobody bpftool map show pinned "$p/$f"
		[ "$status" -ne 0 ]
		run xk_as_nobody "$XK_TOP/build/xk-dump" "$p/$f"
		[ "$status" -ne 0 ]
	done
	run xk_as_nobody "$XK_TOP/build/xk-drain" --type packet --duration 1 "$p/packets"
	[ "$status" -ne 0 ]
	run xk_as_nobody bpftool prog show pinned "$p/xdpkit_ingress"
	[ "$status" -ne 0 ]
	for f in "$XDPKIT_BPFFS"/cgroup/*/conns "$XDPKIT_BPFFS"/cgroup/*/ct_events; do
		run xk_as_nobody "$XK_TOP/build/xk-dump" "$f"
		[ "$status" -ne 0 ]
	done
	# nor can the commands (exit 3, one line each)
	for c in xdp-stats xdp-capture xdp-dns; do
		run xk_as_nobody "$XK_TOP/bin/$c" "$A"
		one_line_error 3 "$c"
	done
	run xk_as_nobody "$XK_TOP/bin/xdp-conntrack" --cgroup "$CG"
	one_line_error 3 xdp-conntrack
}

@test "what it writes outside bpffs: locks 0600 in a root directory of 0755; snapshots and the textfile 0644, in a directory it does not make" {
	xdp-attach "$A" count stats
	[ "$(stat -c '%a %U' "$XDPKIT_RUNDIR")" = "755 root" ]
	local f
	for f in "$XDPKIT_RUNDIR"/*.lock; do
		[ "$(stat -c '%a %U' "$f")" = "600 root" ]
	done
	mkdir -m 0750 "$BATS_TEST_TMPDIR/out"
	xdp-snapshot "$A" --dir "$BATS_TEST_TMPDIR/out" >/dev/null
	xdp-prom "$A" --textfile "$BATS_TEST_TMPDIR/out"
	for f in "$BATS_TEST_TMPDIR"/out/*; do
		[ "$(stat -c '%a %U' "$f")" = "644 root" ]
	done
	# the directory keeps the mode its owner gave it
	[ "$(stat -c '%a' "$BATS_TEST_TMPDIR/out")" = 750 ]
	run xdp-prom "$A" --textfile "$BATS_TEST_TMPDIR/none"
	one_line_error 2 xdp-prom
	[ ! -e "$BATS_TEST_TMPDIR/none" ]
}

@test "hostile arguments to every command: refused in one line (exit 2) or taken as one literal word; nothing runs" {
	xdp-attach "$A" count stats
	local v c inj
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	# shell, jq and format metacharacters, a newline, a tab
	for inj in "\$(touch $CANARY)" "\`touch $CANARY\`" "x;touch $CANARY" "x\") | halt_error(\"pwned" \
		"x|touch $CANARY" "%s%n" "$(printf 'a\nb')" "$(printf 'a\tb')" "../../../etc/passwd" "-"; do
		for c in "xdp-attach $A count --flows" "xdp-attach $A count --ports" "xdp-attach $A count --netns" \
			"xdp-attach $A count --mode" "xdp-attach $A count --hook" "xdp-stats $A --top" \
			"xdp-stats $A --sort" "xdp-stats $A --by" "xdp-stats $A --netns" \
			"xdp-capture $A --host" "xdp-capture $A --port" "xdp-capture $A --proto" \
			"xdp-capture $A --snaplen" "xdp-capture $A --count" "xdp-capture $A --dir" \
			"xdp-capture $A --nats" "xdp-dns $A --duration 1 --qname-suffix" "xdp-dns $A --duration 1 --qtype" \
			"xdp-dns $A --duration" "xdp-conntrack --cgroup" "xdp-conntrack --port" \
			"xdp-prom $A --ports" "xdp-prom $A --textfile" "xdp-snapshot $A --dir" \
			"xdp-snapshot $A --keep" "xdp-snapshot $A --top" "xdp-status $A --netns" \
			"xdp-detach $A --netns"; do
			# shellcheck disable=SC2086 # the words of each case
			run timeout 20 $c "$inj" </dev/null
			echo "[$c '$inj'] $status: $output"
			[ ! -e "$CANARY" ]
			# (jq's halt_error would print the word alone, exit 5)
			! printf '%s\n' "$output" | grep -qx 'pwned'
			[ "$status" -ne 5 ]
			[ "$status" -ne 124 ]
			# taken literally: a qname suffix of printable bytes is a name, a
			# snapshot directory is made where it is missing
			if [ "$status" -eq 0 ]; then
				[[ "$c" == "xdp-dns"* ]] || [[ "$c" == "xdp-snapshot $A --dir" ]] || return 1
				continue
			fi
			# usage (2); a path that is no cgroup (4)
			[ "$status" -eq 2 ] || [ "$status" -eq 4 ]
			[ "${#lines[@]}" -eq 1 ]
			[[ "${lines[0]}" == "${c%% *}: error: "* ]]
		done
	done
	# the snapshots went where the literal paths say, below the cwd
	[ "$(find . -name 'xdpkit-*.jsonl' | wc -l)" -ge 1 ]
	# the interface is as it was
	run xdp-status "$A" --json
	[ "$status" -eq 0 ]
	[ "$(jq -c .features <<<"$output")" = '["count","stats"]' ]
}

@test "no payload leaves the kernel unless asked for: capture events carry bytes only with --snaplen" {
	xdp-attach "$A" count stats
	xdp-capture "$A" --json --count 2 >"$BATS_TEST_TMPDIR/a" 2>/dev/null &
	local pid=$!
	xk_capture_armed "$A"
	xk_craft_in udp4 2
	wait "$pid"
	[ "$(jq -s 'length' "$BATS_TEST_TMPDIR/a")" = 2 ]
	jq -s -e 'all(.[]; has("payload") | not)' "$BATS_TEST_TMPDIR/a"
	xdp-capture "$A" --json --count 2 --snaplen 64 >"$BATS_TEST_TMPDIR/b" 2>/dev/null &
	pid=$!
	xk_capture_armed "$A"
	xk_craft_in udp4 2
	wait "$pid"
	# the 62-byte frame whole, in hex
	jq -s -e 'length == 2 and all(.[]; (.payload | length) == 124)' "$BATS_TEST_TMPDIR/b"
}

@test "a pin root or pin directory others can write, or another user owns, is refused by the commands that only read too (exit 3)" {
	xdp-attach "$A" count stats dns
	local c d
	for d in "$XDPKIT_BPFFS" "$XDPKIT_BPFFS/net" "$(dirname "$(xk_pins "$A")")"; do
		chmod 0777 "$d"
		for c in "xdp-stats $A" "xdp-status" "xdp-prom $A" "xdp-snapshot $A --dir $BATS_TEST_TMPDIR/s" \
			"xdp-dns $A --duration 1" "xdp-capture $A --count 1" "xdp-detach $A dns" "xdp-attach $A count"; do
			# shellcheck disable=SC2086 # the words of each case
			run $c
			one_line_error 3 "${c%% *}"
			[[ "$output" == *"must be owned by root and writable only by root"* ]]
		done
		chmod 0755 "$d"
		chown nobody "$d"
		run xdp-status
		one_line_error 3 xdp-status
		chown root "$d"
	done
	xdp-status "$A" >/dev/null
	[ ! -e "$BATS_TEST_TMPDIR/s" ]
}

@test "the textfile is not written through a symbolic link; XDPKIT_RUNDIR must be absolute; an operand is never an option" {
	xdp-attach "$A" count
	mkdir -m 1777 "$BATS_TEST_TMPDIR/tf" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/tf/xdpkit.prom"
	run xdp-prom "$A" --textfile "$BATS_TEST_TMPDIR/tf"
	one_line_error 1 xdp-prom
	[[ "$output" == *"a symbolic link"* ]]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/tf")" = xdpkit.prom ]
	XDPKIT_RUNDIR="rel dir" run xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[ ! -e "rel dir" ]
	for c in "xdp-prom -- --json" "xdp-snapshot --dir $BATS_TEST_TMPDIR/n -- --help" "xdp-stats -- -x" \
		"xdp-status -- --json" "xdp-attach -- -h count"; do
		# shellcheck disable=SC2086 # the words of each case
		run $c
		one_line_error 2 "${c%% *}"
	done
	[ ! -e "$BATS_TEST_TMPDIR/n" ]
}
