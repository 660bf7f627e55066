# lib/reader.sh - what the commands that read a ring buffer (xdp-capture,
# xdp-dns) share: one reader per interface and feature, the feature on for
# the run (xdpkit attached for it where it was not), the helper xk-drain in
# the background with signals passed on, and everything put back as it was
# at the end, even after a reader that was killed.
#
# The command sets, before xk_reader_begin: xk_feature (the feature, whose
# settings map has its name), xk_reader_what (what runs, for messages: "a
# capture"), xk_reader_keep (a jq filter: the settings that outlive a run,
# default none), iface, opt_netns, dir (the pins), lockname.
# Sourced by bin/xdp-capture and bin/xdp-dns, after lib/xdpkit.sh.
# shellcheck disable=SC2154 # iface, dir, ... are the command's

tmp=""
drain=""   # the helper's pid, while it runs
fmt_pid="" # the formatter's (jq) for a text output
owned=0    # this run holds the interface's claim for the feature
feat_on=0  # this run switched the feature on (or took over a killed
           # reader's): it switches it off
attached=0 # ... and xdpkit was attached for it: detach when no other
           # feature is left

# The claim: "PID ATTACHED" in $XK_RUNDIR/LOCKNAME.FEATURE, written under
# the interface's lock. A claim whose command is gone is taken over.
xk_reader_claim_file() { printf '%s/%s.%s\n' "$XK_RUNDIR" "$lockname" "$xk_feature"; }

xk_reader_alive() { # PID
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] &&
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -F "$XK_PROG" >/dev/null
}

xk_reader_claim() {
	local f pid att
	f=$(xk_reader_claim_file)
	xk_lock "$lockname" "$iface"
	pid="" att=0
	[ ! -r "$f" ] || read -r pid att <"$f" || :
	if [ -n "$pid" ] && [ "$pid" != $$ ] && xk_reader_alive "$pid"; then
		die "$EX_LOCK" "$iface: $xk_reader_what runs there already ($XK_PROG pid $pid): one at a time"
	fi
	case $att in 1) attached=1 ;; esac # a killed reader's: ours to end
	printf '%s %s\n' $$ "$attached" >"$f" || die "$EX_FAIL" "cannot write $f"
}

# Run a command; its stderr only when it fails.
xk_quietly() {
	local err
	err=$("$@" 2>&1 >/dev/null) && return 0
	printf '%s\n' "$err" >&2
	return 1
}

# The EXIT trap: the feature off (if this run switched it on), xdpkit off
# (if it was attached for this and nothing else is on), the settings back
# to none but what outlives a run (KEEP: a jq object of the settings
# kept), the claim.
xk_reader_end() {
	rc=$? # first: even `local` resets $?
	local feats keep
	trap - EXIT
	trap '' HUP INT PIPE TERM
	if [ "$owned" -eq 1 ]; then
		feats=$(xk_config "$dir" 2>/dev/null | jq -r '.features | join(" ")' 2>/dev/null) || feats=""
		if [ "$feat_on" -eq 1 ] && [ "$attached" -eq 1 ] && { [ -z "$feats" ] || [ "$feats" = "$xk_feature" ]; }; then
			xk_quietly "$XK_LIBDIR_BIN/xdp-detach" "$iface" ${opt_netns:+--netns "$opt_netns"} || :
		else
			# the settings back to none (the helper already set the deadline to 0)
			if [ -e "$dir/$xk_feature" ]; then
				keep=$(xk_dump "$dir/$xk_feature" 2>/dev/null | jq -c "${xk_reader_keep:-{\}}" 2>/dev/null) || keep='{}'
				xk_map_write "$dir/$xk_feature" 0 "${keep:-{\}}" 2>/dev/null || :
			fi
			[ "$feat_on" -eq 0 ] || [ ! -e "$dir/config" ] ||
				xk_quietly "$XK_LIBDIR_BIN/xdp-detach" "$iface" "$xk_feature" ${opt_netns:+--netns "$opt_netns"} || :
		fi
		rm -f "$(xk_reader_claim_file)"
	fi
	[ -z "$tmp" ] || rm -rf "$tmp"
	exit "$rc"
}

# A signal: the helper stops (and delivers what is in the ring buffer).
xk_reader_stop() {
	[ -z "$drain" ] || kill -TERM "$drain" 2>/dev/null || :
}

# Claim the interface for the feature, switch it on (attaching xdpkit where
# it is not), and check that the pins have MAP...
xk_reader_begin() { # MAP...
	local feats err st m
	XK_LIBDIR_BIN=$(cd "$(dirname -- "$0")" && pwd)
	# the claim, in a subshell: the lock goes with it
	(xk_reader_claim) || exit $?
	read -r _ attached <"$(xk_reader_claim_file)" || attached=0
	[ "$attached" -eq 1 ] && feat_on=1
	owned=1
	trap xk_reader_end EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	feats=$(xk_config "$dir" 2>/dev/null | jq -r '.features | join(" ")' 2>/dev/null) || feats=""
	if [ ! -e "$dir/xdpkit_ingress" ] || [ ! -e "$dir/config" ]; then
		attached=1 feat_on=1
	else
		case " $feats " in *" $xk_feature "*) ;; *) feat_on=1 ;; esac
	fi
	printf '%s %s\n' $$ "$attached" >"$(xk_reader_claim_file)"
	if [ "$feat_on" -eq 1 ]; then
		err=$("$XK_LIBDIR_BIN/xdp-attach" "$iface" "$xk_feature" ${opt_netns:+--netns "$opt_netns"} 2>&1) || {
			st=$?
			printf '%s\n' "$err" | sed "s/^xdp-attach: /$XK_PROG: /" >&2
			exit "$st"
		}
		# what xdp-attach says of programs ahead of xdpkit's, and the like
		printf '%s\n' "$err" | grep -v ': attached (\|: already attached\|: programs replaced' |
			sed -n "s/^xdp-attach: /$XK_PROG: /p" >&2 || :
	fi
	for m in "$@"; do
		[ -e "$dir/$m" ] ||
			die "$EX_FAIL" "$iface: the pinned datapath has no map $m (xdp-attach $iface $xk_feature updates it)"
	done
}

# What xdpkit watches on the interface, for the start line.
xk_reader_where() {
	xk_config "$dir" | jq -r '"\(.hook) ingress\(if (.flags | index("ingress_only")) then "" else ", tc egress" end)"'
}

# Wait for the helper (started in the background, its pid in $drain)
# through signals; 0, or exit 1 when it failed.
xk_reader_wait() {
	local st
	st=0
	while :; do
		wait "$drain" && st=0 || st=$?
		kill -0 "$drain" 2>/dev/null || break # else a signal came: wait on
	done
	drain=""
	[ -z "$fmt_pid" ] || wait "$fmt_pid" || :
	[ -z "$tmp" ] || [ ! -s "$tmp/summary" ] || cat "$tmp/summary" >&2
	[ "$st" -eq 0 ] || exit "$EX_FAIL"
}
