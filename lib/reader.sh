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
watch=""   # the watcher's
fmt_pid="" # the formatter's (jq) for a text output
owned=0    # this run holds the interface's claim for the feature
feat_on=0  # this run switched the feature on (or took over a killed
           # reader's): it switches it off, unless a user asked for it since
# shellcheck disable=SC2034 # read by the commands (their messages, settings)
attached=0 # this run attached xdpkit

# The claim: "PID FEAT_ON KEEP" in $XK_RUNDIR/LOCKNAME.FEATURE.reader,
# written under the interface's lock; KEEP: a user's xdp-attach asked for
# the feature meanwhile (it stays on). A claim whose command is gone is
# taken over. The file LOCKNAME.readers says that xdpkit is attached there
# for readers, not by a user: the last reader to end detaches it (a user's
# xdp-attach removes the file, xdp-detach too).
xk_reader_claim_file() { printf '%s/%s.%s.reader\n' "$XK_RUNDIR" "$lockname" "$xk_feature"; }
xk_readers_file() { printf '%s/%s.readers\n' "$XK_RUNDIR" "$lockname"; }

xk_reader_alive() { # PID
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] &&
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -F "$XK_PROG" >/dev/null
}

xk_reader_claim() {
	local f pid on keep
	f=$(xk_reader_claim_file)
	xk_lock "$lockname" "$iface"
	pid="" on=0 keep=0
	[ ! -r "$f" ] || read -r pid on keep <"$f" || :
	if [ -n "$pid" ] && [ "$pid" != $$ ] && xk_reader_alive "$pid"; then
		die "$EX_LOCK" "$iface: $xk_reader_what runs there already ($XK_PROG pid $pid): one at a time"
	fi
	# a killed reader's feature, switched on by it: ours to switch off
	[ "${on:-0}" = 1 ] && [ "${keep:-0}" != 1 ] || on=0
	printf '%s %s 0\n' $$ "$on" >"$f" || die "$EX_FAIL" "cannot write $f"
}

# Run a command; its stderr only when it fails.
xk_quietly() {
	local err
	err=$("$@" 2>&1 >/dev/null) && return 0
	printf '%s\n' "$err" >&2
	return 1
}

# The EXIT trap: the feature off (if this run switched it on and no user
# asked for it since), xdpkit off (if it was attached for readers and no
# feature is left), the settings back to none but what outlives a run
# (xk_reader_keep), the claim.
xk_reader_end() {
	rc=$? # first: even `local` resets $?
	local feats keep left f k
	trap - EXIT
	trap '' HUP INT PIPE TERM
	[ -z "$watch" ] || kill "$watch" 2>/dev/null || :
	if [ "$owned" -eq 1 ]; then
		f="" k=0
		read -r _ f k <"$(xk_reader_claim_file)" 2>/dev/null || :
		[ "${k:-0}" != 1 ] || feat_on=0
		feats=$(xk_config "$dir" 2>/dev/null | jq -r '.features | join(" ")' 2>/dev/null) || feats=""
		left=$feats
		[ "$feat_on" -eq 0 ] || left=$(printf '%s\n' "$feats" | tr ' ' '\n' | grep -vx "$xk_feature" | tr '\n' ' ')
		if [ -e "$(xk_readers_file)" ] && [ -z "$(printf '%s' "$left" | tr -d ' ')" ]; then
			[ ! -e "$dir/config" ] ||
				xk_quietly "$XK_LIBDIR_BIN/xdp-detach" "$iface" ${opt_netns:+--netns "$opt_netns"} || :
			rm -f "$(xk_readers_file)"
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
	read -r _ feat_on _ <"$(xk_reader_claim_file)" || feat_on=0
	owned=1
	trap xk_reader_end EXIT
	# Ctrl-C and SIGTERM while it starts end it as they do later: status 0
	trap 'exit 0' INT TERM
	trap 'exit 129' HUP

	feats=$(xk_config "$dir" 2>/dev/null | jq -r '.features | join(" ")' 2>/dev/null) || feats=""
	if [ ! -e "$dir/xdpkit_ingress" ] || [ ! -e "$dir/config" ]; then
		# shellcheck disable=SC2034 # read by the commands
		attached=1 feat_on=1
		: >"$(xk_readers_file)" || die "$EX_FAIL" "cannot write $(xk_readers_file)"
	else
		case " $feats " in *" $xk_feature "*) ;; *) feat_on=1 ;; esac
	fi
	printf '%s %s 0\n' $$ "$feat_on" >"$(xk_reader_claim_file)"
	if [ "$feat_on" -eq 1 ]; then
		err=$(XK_READER=1 "$XK_LIBDIR_BIN/xdp-attach" "$iface" "$xk_feature" ${opt_netns:+--netns "$opt_netns"} 2>&1) || {
			st=$?
			printf '%s\n' "$err" | sed "s/^xdp-attach: /$XK_PROG: /" >&2
			exit "$st"
		}
		# what xdp-attach says of programs ahead of xdpkit's, and the like
		printf '%s\n' "$err" | grep -v ': attached (\|: already attached\|: programs replaced\|slots per CPU (were\|slots (were' |
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

# While the helper runs: if xdpkit is detached under it, or its feature
# switched off, say so and stop it (the helper would wait for events that
# cannot come). Its status file: $tmp/gone. It ends with the command (a
# SIGKILL of the command alone would leave it polling for good; the helper
# ends by itself, --owner).
xk_reader_watch() {
	while sleep 1; do
		kill -0 $$ 2>/dev/null || return 0
		[ -e "$dir/config" ] &&
			xk_config "$dir" 2>/dev/null | jq -s -e --arg f "$xk_feature" 'any(.[]; .features | index($f) != null)' >/dev/null 2>&1 &&
			continue
		if [ -e "$dir/config" ]; then
			warn "$iface: the $xk_feature feature was switched off (xdp-detach $iface $xk_feature?): stopping"
		else
			warn "$iface: xdpkit was detached: stopping"
		fi
		: >"$tmp/gone"
		kill -TERM "$drain" 2>/dev/null || :
		return 0
	done
}

# Wait for the helper (started in the background, its pid in $drain)
# through signals; 0, or exit 1 when it failed, 7 when xdpkit or its
# feature went away under it.
xk_reader_wait() {
	local st
	[ -n "$tmp" ] || tmp=$(mktemp -d) || die "$EX_FAIL" "cannot make a temporary directory"
	xk_reader_watch </dev/null 3>&- &
	watch=$!
	st=0
	while :; do
		wait "$drain" && st=0 || st=$?
		kill -0 "$drain" 2>/dev/null || break # else a signal came: wait on
	done
	drain=""
	[ -z "$fmt_pid" ] || wait "$fmt_pid" || :
	kill "$watch" 2>/dev/null || :
	watch=""
	[ -z "$tmp" ] || [ ! -s "$tmp/summary" ] || cat "$tmp/summary" >&2
	[ ! -e "$tmp/gone" ] || exit "$EX_NOTATTACHED"
	[ "$st" -eq 0 ] || exit "$EX_FAIL"
}
