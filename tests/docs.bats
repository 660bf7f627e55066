#!/usr/bin/env bats
# Man pages (built from each command's --help by man/mkman.sh) and bash
# completion: built, installed, rendered by man, and in step with --help.

load helpers

setup() { xk_setup; }
teardown() { xk_teardown; }

@test "every command has a man page that man renders without a warning and that says what --help says" {
	for f in "$XK_TOP"/bin/*; do
		c=${f##*/}
		page=$XK_TOP/build/man/$c.8
		[ -f "$page" ]
		run groff -man -ww -z "$page"
		[ -z "$output" ]
		run env MANWIDTH=200 man -l "$page"
		[ "$status" -eq 0 ]
		text=$output
		# NAME is --help's first line
		first=$("$f" --help | head -n 1)
		grep -qF -- "       $first" <<<"$text"
		# every option --help lists is an entry under OPTIONS
		for o in $("$f" --help | sed -n 's/^  \(-h, \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'); do
			grep -qE -- "^       (-h, )?$o( |$)" <<<"$text" || { echo "$c: $o missing"; false; }
		done
		grep -q '^EXIT STATUS' <<<"$text"
		grep -q '^SYNOPSIS' <<<"$text"
	done
}

@test "make install puts the man pages, the README and the completion under the prefix; man finds them; uninstall removes them" {
	prefix=$BATS_TEST_TMPDIR/prefix
	make -C "$XK_TOP" --no-print-directory -s install PREFIX="$prefix" >/dev/null
	run env MANWIDTH=100 man -M "$prefix/share/man" xdp-snapshot
	[ "$status" -eq 0 ]
	grep -q '^NAME' <<<"$output"
	grep -q 'xdp-snapshot - keep what xdpkit has counted' <<<"$output"
	[ -f "$prefix/share/doc/xdpkit/README.md" ]
	[ "$(readlink "$prefix/share/bash-completion/completions/xdp-stats")" = xdpkit ]
	make -C "$XK_TOP" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
	[ ! -e "$prefix" ]
}

# Complete the words given (the last is the one being completed).
comp() {
	bash -c '. "$1/completion/xdpkit.bash"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _xdpkit; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$XK_TOP" "$@"
}

@test "bash completion: options from --help, interfaces, features, values" {
	[ "$(comp xdp-stats --b)" = --by ]
	[ "$(comp xdp-stats --by "")" = "$(printf '%s\n' flows ports conversations hosts protocols sizes all)" ]
	[ "$(comp xdp-prom --t)" = --textfile ]
	[ "$(comp xdp-snapshot --r)" = --rates ]
	comp xdp-stats "${A:0:6}" | grep -qx "$A"
	[ "$(comp xdp-attach "$A" "")" = "$(printf '%s\n' count stats dns)" ]
	[ "$(comp xdp-attach "$A" --mode "")" = "$(printf '%s\n' auto native generic offload)" ]
	comp xdp-stats --netns "${NS:0:6}" | grep -qx "$NS"
	# every option of every command completes to itself
	for f in "$XK_TOP"/bin/*; do
		for o in $("$f" --help | sed -n 's/^  \(-h, \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'); do
			comp "$f" "$o" | grep -qx -- "$o" || { echo "${f##*/} $o"; false; }
		done
	done
}
