#!/usr/bin/env bats
# Bad input: every command answers with one line on stderr that starts with
# its name, a documented exit status, and leaves nothing half-attached.

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

# the command failed with STATUS and said exactly one line starting NAME:
one_line_error() { # STATUS NAME
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "$2: error: "* ]]
}

nothing_attached() {
	[ -z "$(ip -j link show dev "$A" | jq -r '.[0].xdp // empty')" ]
	[ "$(tc -j qdisc show dev "$A" | jq '[.[] | select(.kind == "clsact")] | length')" = 0 ]
	[ ! -e "$(xk_pins "$A")" ]
}

@test "every command has --help, generated from its header, exit 0" {
	for c in $(ls "$XK_TOP/bin"); do
		run "$c" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "$c - "* ]]
		[[ "$output" == *"usage: $c"* ]]
		[[ "$output" == *"Exit status:"* ]]
	done
}

@test "invalid interface names are refused before use (exit 2)" {
	for bad in "" "a b" "eth0;reboot" "\$(id)" "0123456789abcdef" "-x" "eth/0" "." ".."; do
		for c in xdp-attach xdp-detach xdp-stats xdp-capture xdp-dns; do
			if [ "$c" = xdp-attach ]; then run "$c" "$bad" count; else run "$c" "$bad"; fi
			[ "$status" -eq 2 ]
			[ "${#lines[@]}" -eq 1 ]
			[[ "${lines[0]}" == "$c: error: "* ]]
		done
	done
}

@test "xdp-prom, xdp-snapshot, xdp-plot: bad names and values are refused before use (exit 2, one line)" {
	mkdir "$BATS_TEST_TMPDIR/d"
	for bad in "a b" "eth0;reboot" "-x" ".."; do
		for c in xdp-prom xdp-snapshot; do
			run "$c" "$bad"
			one_line_error 2 "$c"
		done
		[ "$bad" = -x ] && continue # a value there, and a valid name
		run xdp-plot "$BATS_TEST_TMPDIR/d" --iface "$bad"
		one_line_error 2 xdp-plot
	done
	for args in "xdp-prom --ports x" "xdp-prom --ports 99999" "xdp-prom --ports=" "xdp-prom --textfile /nonexistent/d" \
		"xdp-prom --textfile $BATS_TEST_TMPDIR/d --http" "xdp-prom --bogus" "xdp-prom --netns bad/ns" \
		"xdp-snapshot --keep -1" "xdp-snapshot --keep x" "xdp-snapshot --top 1.5" "xdp-snapshot --json" \
		"xdp-snapshot --rates --keep 3" "xdp-snapshot --rates a b c" "xdp-snapshot --rates /nonexistent/a /nonexistent/b" \
		"xdp-plot" "xdp-plot /nonexistent/d" "xdp-plot $BATS_TEST_TMPDIR/d --out x.gif" \
		"xdp-plot $BATS_TEST_TMPDIR/d --since x" "xdp-plot $BATS_TEST_TMPDIR/d $BATS_TEST_TMPDIR/d"; do
		# shellcheck disable=SC2086 # the words of each case
		run $args
		echo "$args: $output"
		one_line_error 2 "${args%% *}"
	done
	# nothing written anywhere by a refused command
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/d")" ]
	# not root: exit 3 (xdp-plot needs no root: it reads files)
	for c in xdp-prom xdp-snapshot; do
		run xk_as_nobody "$XK_TOP/bin/$c"
		one_line_error 3 "$c"
	done
}

@test "the longest valid name (15 characters) is accepted as a name" {
	run xdp-stats 0123456789abcde
	one_line_error 7 xdp-stats
}

@test "unknown interface: exit 4" {
	run xdp-attach xknosuch0 count
	one_line_error 4 xdp-attach
	[[ "$output" == *"xknosuch0: no such interface"* ]]
	run xdp-check xknosuch0
	one_line_error 4 xdp-check
}

@test "unknown feature, unknown mode, unknown option, missing arguments: exit 2" {
	run xdp-attach "$A" bogus
	one_line_error 2 xdp-attach
	[[ "$output" == *"unknown feature 'bogus'"* ]]
	run xdp-attach "$A" count --mode turbo
	one_line_error 2 xdp-attach
	[[ "$output" == *"unknown mode 'turbo'"* ]]
	run xdp-attach "$A" count --mode
	one_line_error 2 xdp-attach
	run xdp-attach "$A" count --frobnicate
	one_line_error 2 xdp-attach
	run xdp-attach "$A"
	one_line_error 2 xdp-attach
	run xdp-attach
	one_line_error 2 xdp-attach
	run xdp-detach "$A" bogus
	one_line_error 2 xdp-detach
	run xdp-stats "$A" --frobnicate
	one_line_error 2 xdp-stats
	run xdp-status --frobnicate
	one_line_error 2 xdp-status
	run xdp-check --frobnicate
	one_line_error 2 xdp-check
	nothing_attached
}

@test "not root: refused with exit 3 and one line" {
	run xk_as_nobody "$XK_TOP/bin/xdp-attach" "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"must be run as root"* ]]
	run xk_as_nobody "$XK_TOP/bin/xdp-detach" "$A"
	one_line_error 3 xdp-detach
	run xk_as_nobody "$XK_TOP/bin/xdp-stats" "$A"
	one_line_error 3 xdp-stats
	run xk_as_nobody "$XK_TOP/bin/xdp-status"
	one_line_error 3 xdp-status
	nothing_attached
}

@test "bpffs not mounted (private mount namespace): exit 3, nothing attached" {
	run unshare -m sh -c 'while umount /sys/fs/bpf 2>/dev/null; do :; done; exec "$0" "$1" count' "$XK_TOP/bin/xdp-attach" "$A"
	one_line_error 3 xdp-attach
	[[ "$output" == *"no bpf filesystem at /sys/fs/bpf"* ]]
	nothing_attached
}

@test "xdp-check mounts a missing bpffs and says so" {
	run unshare -m sh -c 'while umount /sys/fs/bpf 2>/dev/null; do :; done; "$0" lo && stat -f -c %T /sys/fs/bpf' "$XK_TOP/bin/xdp-check"
	[ "$status" -eq 0 ]
	[[ "$output" == *"xdp-check: mounted the bpf filesystem at /sys/fs/bpf"* ]]
	[ "${lines[-1]}" = bpf_fs ]
}

@test "kernel BTF missing (hidden in a private mount namespace): exit 3" {
	empty=$BATS_TEST_TMPDIR/empty
	: >"$empty"
	run unshare -m sh -c 'mount --bind "$2" /sys/kernel/btf/vmlinux && exec "$0" "$1" count' \
		"$XK_TOP/bin/xdp-attach" "$A" "$empty"
	one_line_error 3 xdp-attach
	[[ "$output" == *"kernel has no BTF"* ]]
	run unshare -m sh -c 'mount --bind "$1" /sys/kernel/btf/vmlinux && exec "$0" lo' \
		"$XK_TOP/bin/xdp-check" "$empty"
	[ "$status" -eq 3 ]
	[[ "$output" == *"FAIL  btf "*"CONFIG_DEBUG_INFO_BTF=y"* ]]
	nothing_attached
}

@test "kernel too old (uname faked by setarch): exit 3" {
	run setarch "$(uname -m)" --uname-2.6 xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"is too old: xdpkit needs 5.15 or later"* ]]
	run setarch "$(uname -m)" --uname-2.6 xdp-check lo
	[ "$status" -eq 3 ]
	[[ "$output" == *"FAIL  kernel "* ]]
	nothing_attached
}

@test "not built: exit 3 with the fix" {
	XDPKIT_LIBEXEC=$BATS_TEST_TMPDIR/nothing run xdp-attach "$A" count
	one_line_error 3 xdp-attach
	[[ "$output" == *"run make"* ]]
}

@test "stats, status and feature detach on an interface without xdpkit: exit 7" {
	run xdp-stats "$A"
	one_line_error 7 xdp-stats
	run xdp-status "$A"
	[ "$status" -eq 7 ]
	[ "$output" = "$A: missing, xdpkit is not attached" ]
	run xdp-detach "$A" count
	one_line_error 7 xdp-detach
}

@test "an empty value is refused, not taken for the default (exit 2)" {
	for args in "--flows=" "--ports=" "--mode=" "--netns=" "--mode ''"; do
		eval "run xdp-attach \"\$A\" count $args"
		one_line_error 2 xdp-attach
		[[ "$output" == *"needs a value, not an empty one"* ]]
	done
	run xdp-stats "$A" --top=
	one_line_error 2 xdp-stats
	run xdp-stats "$A" --by ''
	one_line_error 2 xdp-stats
	nothing_attached
}
