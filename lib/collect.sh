# lib/collect.sh - one reading of everything xdpkit counts, as JSON lines,
# for the commands that export it (xdp-prom, xdp-snapshot). Sourced by
# them after lib/xdpkit.sh.

# Into FILE: the status lines of xdp-status --json (the IFACEs, or every
# interface and cgroup), then for each attached interface the lines of
# xdp-stats --json with ARGs (each with "netns": its namespace's name or
# null), the ct_stats line of each cgroup's tracker (with "cgroup"), and
# with kernel.bpf_stats_enabled=1 a "prog" line {id, run_time_ns, run_cnt}
# per program that has run. Prints the exit status of xdp-status (0, 1, or
# 7: a named IFACE is not attached); exits with any other.
# Usage: xk_collect FILE "IFACE..." "--netns NS" [ARG...]
xk_collect() {
	local out ifaces netns rc s iface ns nsf pins cg bindir
	out=$1 ifaces=$2 netns=$3
	shift 3
	bindir=$(cd "$(dirname -- "$0")" && pwd)
	rc=0
	# shellcheck disable=SC2086 # names checked by xk_check_iface_name and xk_set_netns
	"$bindir/xdp-status" --json $netns $ifaces >"$out.status" 2>"$out.err" || rc=$?
	case $rc in
	0 | 1 | 7) ;;
	*) sed "s/^[a-z-]*: //; s/^/$XK_PROG: /" "$out.err" >&2; exit "$rc" ;;
	esac
	jq -c 'select(.type == "status")' "$out.status" >"$out"
	# the interfaces' counters (not those of one whose namespace is gone)
	jq -r 'select(.type == "status" and .scope != "cgroup" and .present == true and .health != "stale")
		| "\(.iface) \(.netns_id) \(.netns // "")"' "$out.status" |
		while read -r iface s ns; do
			xk_check_iface_name "$iface"
			nsf=""
			[ "$s" = "$XK_OWN_NS" ] || nsf=$(xk_ns_file "$s")
			[ "$s" = "$XK_OWN_NS" ] || [ -n "$nsf" ] || continue
			"$bindir/xdp-stats" "$iface" --json ${nsf:+--netns} ${nsf:+"$nsf"} "$@" 2>/dev/null |
				jq -c --arg ns "$ns" '.netns = (if $ns == "" then null else $ns end)' >>"$out" ||
				warn "$iface: its counters could not be read"
		done
	# the trackers' counters
	jq -r 'select(.type == "status" and .scope == "cgroup" and .health != "stale") | .pins, .cgroup' "$out.status" |
		while read -r pins && IFS= read -r cg; do
			xk_dump "$pins/ct_stats" 2>/dev/null | jq -c --arg cg "$cg" '.cgroup = $cg' >>"$out" ||
				warn "$cg: the tracker's counters could not be read"
		done
	# the programs' run time, when the kernel counts it
	if [ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)" = 1 ]; then
		bpftool -j prog show 2>/dev/null |
			jq -c '.[] | select(.run_cnt != null) | {type: "prog", id, run_time_ns, run_cnt}' >>"$out" || :
	fi
	rm -f "$out.status" "$out.err"
	echo "$rc"
}

# FILE into DIR/NAME so that no reader sees part of it: a temporary file in
# DIR (".NAME.XXXXXX": neither a *.prom nor a snapshot name), then a rename.
# A failed write (a full disk) leaves nothing, and an earlier DIR/NAME
# whole. The temporary file is in $xk_out_tmp until the rename, for the
# caller's cleanup to remove.
xk_out_tmp=""
xk_write_atomic() { # FILE DIR NAME
	local earlier=""
	[ ! -e "$2/$3" ] || earlier="; the earlier one stays"
	# (a symbolic link there would take the rename elsewhere)
	[ ! -L "$2/$3" ] || die "$EX_FAIL" "$2/$3: a symbolic link: not written through it"
	xk_out_tmp=$(mktemp "$2/.$3.XXXXXX" 2>/dev/null) || die "$EX_FAIL" "$2: cannot write a file there"
	# cat, unlike jq, reports a failed write
	cat "$1" 2>/dev/null >"$xk_out_tmp" ||
		die "$EX_FAIL" "$2/$3: the write failed (disk full?): not written$earlier"
	chmod 0644 "$xk_out_tmp" || die "$EX_FAIL" "$xk_out_tmp: chmod failed"
	mv -f "$xk_out_tmp" "$2/$3" || die "$EX_FAIL" "$2/$3: rename failed$earlier"
	xk_out_tmp=""
}
