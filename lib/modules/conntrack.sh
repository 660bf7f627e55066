# lib/modules/conntrack.sh - the module "conntrack": the connection tracker
# (bpf/conntrack.bpf.c, a sockops program) on a cgroup v2 directory, its
# scope (cgroup/ID, lib/pins.sh), how it is attached (xdp-attach --cgroup
# PATH conntrack, or for one run of xdp-conntrack), reported (xdp-status)
# and taken off (xdp-detach --cgroup PATH, --all).
# Sourced by lib/xdpkit.sh, after the rest of the library (see iface.sh).
# shellcheck disable=SC2154 # names of the library and the commands

XK_CT_OBJ=$XK_LIBEXEC/conntrack.bpf.o
XK_CT_PROG=xdpkit_sockops
cg_path="" cg_id="" # the cgroup a command acts on (xk_cg_resolve)

# The root of the mounted cgroup v2 hierarchy (/proc/self/mountinfo: the
# first cgroup2 mount); empty when there is none.
xk_cg_root() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo 2>/dev/null | sed 's/\\040/ /g'
}

# The cgroup v2 directory PATH names: an existing directory of a cgroup2
# mount, or a path inside the hierarchy's root ("/" is the root itself,
# /system.slice a child). Sets cg_path (absolute, symlinks resolved) and
# cg_id (its inode number, the cgroup's id). Mounts the hierarchy at
# $XK_RUNDIR/cgroup2 when none is mounted, and says so.
xk_cg_resolve() { # PATH
	local root p
	case $1 in
	'') xk_usage "--cgroup: a path is needed" ;;
	esac
	[ "${#1}" -le 900 ] || xk_usage "--cgroup: a path of at most 900 bytes"
	if printf '%s' "$1" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		xk_usage "--cgroup: control characters in the path"
	fi
	case /$1/ in
	*/../*) xk_usage "--cgroup: no .. in the path" ;;
	esac
	if [ -d "$1" ] && [ "$(stat -f -c %T "$1" 2>/dev/null)" = cgroup2fs ]; then
		p=$1
	else
		root=$(xk_cg_root)
		if [ -z "$root" ]; then
			root=$XK_RUNDIR/cgroup2
			xk_own_dir "$root"
			mount -t cgroup2 none "$root" ||
				die "$EX_ENV" "no cgroup v2 hierarchy is mounted, and mounting one at $root failed"
			warn "no cgroup v2 hierarchy was mounted: mounted one at $root"
		fi
		p=$root/${1#/}
	fi
	if ! [ -d "$p" ] || [ "$(stat -f -c %T "$p" 2>/dev/null)" != cgroup2fs ]; then
		die "$EX_NOIFACE" "$1: not a cgroup v2 directory (cgroup2 is mounted at $(xk_cg_root))"
	fi
	cg_path=$(cd "$p" && pwd -P) || die "$EX_NOIFACE" "$1: cannot enter it"
	[ "${#cg_path}" -le 1000 ] || die "$EX_USAGE" "$cg_path: longer than 1000 bytes"
	cg_id=$(stat -c %i "$cg_path") || die "$EX_FAIL" "$cg_path: cannot stat it"
}

xk_cg_dir() { printf '%s/cgroup/%s\n' "$XK_ROOT" "$1"; }    # ID
xk_cg_lockname() { printf 'cgroup-%s\n' "$1"; }             # ID

# Every pin directory of the module (readers killed before they could
# take theirs off are reaped first).
xk_mod_conntrack_dirs() {
	local d
	xk_ct_reap
	for d in "$XK_ROOT"/cgroup/*; do
		[ -d "$d" ] && printf '%s\n' "$d"
	done
}

# The scope of DIR as JSON ({cgroup_id, path}), or null.
# (an attach killed before it moved the maps in left them in DIR/_new/map)
xk_ct_scope() { # DIR
	local s
	s=$(xk_dump "$1/ct_scope" 2>/dev/null | jq -c '{cgroup_id, path}' 2>/dev/null) || s=""
	[ -n "$s" ] || s=$(xk_dump "$1/_new/map/ct_scope" 2>/dev/null |
		jq -c 'select(.cgroup_id != 0) | {cgroup_id, path}' 2>/dev/null) || s=""
	printf '%s\n' "${s:-null}"
}

# The id of the program pinned in DIR, or nothing.
xk_ct_prog_id() { # DIR
	bpftool -j prog show pinned "$1/$XK_CT_PROG" 2>/dev/null | jq -r '.id // empty' 2>/dev/null || :
}

# Whether program ID is attached to cgroup PATH (sock_ops). (-s: bpftool
# prints nothing for a cgroup without programs, and jq 1.6 -e says true
# to no input at all.)
xk_ct_on() { # PATH ID
	[ -n "$2" ] && [ -d "$1" ] &&
		bpftool -j cgroup show "$1" 2>/dev/null |
		jq -s -e --argjson id "$2" 'any(.[][]; .id == $id and (.attach_type == "sock_ops" or .attach_type == "cgroup_sock_ops"))' >/dev/null 2>&1
}

# The reader's claim and the marker of a tracker attached for readers.
xk_ct_claim_file() { printf '%s/%s.reader\n' "$XK_RUNDIR" "$(xk_cg_lockname "$1")"; }  # ID
xk_ct_readers_file() { printf '%s/%s.readers\n' "$XK_RUNDIR" "$(xk_cg_lockname "$1")"; } # ID

# A tracker attached by an xdp-conntrack that is gone (killed): take it off.
xk_ct_reap() {
	local f id pid
	for f in "$XK_RUNDIR"/cgroup-*.readers; do
		[ -e "$f" ] || continue
		id=${f##*/cgroup-}
		id=${id%.readers}
		case $id in '' | *[!0-9]*) continue ;; esac
		pid=""
		read -r pid _ <"$(xk_ct_claim_file "$id")" 2>/dev/null || :
		if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F xdp-conntrack >/dev/null; then
			continue
		fi
		(
			xk_lock "$(xk_cg_lockname "$id")" "cgroup $id"
			[ -e "$f" ] || exit 0
			xk_ct_detach_dir "$(xk_cg_dir "$id")" quiet
			rm -f "$f" "$(xk_ct_claim_file "$id")" "$(xk_ct_claim_file "$id").attached"
		) || :
	done
}

# Take the tracker of DIR off its cgroup, then its pins (the cgroup gone
# too: its attachment went with it). QUIET: no message.
xk_ct_detach_dir() { # DIR [quiet]
	local scope path id
	scope=$(xk_ct_scope "$1")
	path=$(printf '%s' "$scope" | jq -r '.path // empty')
	# the program of DIR, and one an attach killed midway left in _new
	for id in $(xk_ct_prog_id "$1") $(xk_ct_prog_id "$1/_new/prog"); do
		if [ -n "$path" ] && xk_ct_on "$path" "$id"; then
			bpftool cgroup detach "$path" sock_ops id "$id" ||
				die "$EX_FAIL" "$path: cannot detach sockops program $id; the pins stay ($1)"
		fi
	done
	xk_step ct-detached
	rm -rf "$1" || die "$EX_FAIL" "$1: cannot remove the pins"
	xk_prune "$1"
	rm -f "$XK_RUNDIR/$(xk_cg_lockname "${1##*/}").object"
	[ "${2:-}" = quiet ] || warn "cgroup ${path:-${1##*/}}: conntrack detached"
}

xk_mod_conntrack_detach() { # DIR
	local id
	id=${1##*/}
	xk_lock "$(xk_cg_lockname "$id")" "cgroup $id"
	xk_ct_detach_dir "$1"
	rm -f "$(xk_ct_readers_file "$id")"
}

# Attach the tracker to cg_path (xk_cg_resolve), or keep it: pinned under
# cgroup/ID, its maps kept across a rebuilt object when their layout is the
# object's. Under the cgroup's lock. Prints what it did: attached, already,
# or replaced.
xk_ct_attach() {
	local dir new log m old_id sum set_ what
	dir=$(xk_cg_dir "$cg_id")
	sum=$(cksum <"$XK_CT_OBJ" | cut -d' ' -f1)
	xk_own_dir "$XK_ROOT/cgroup" "$XK_ROOT"
	old_id=$(xk_ct_prog_id "$dir")
	if [ -n "$old_id" ] && [ -e "$dir/ct_scope" ] &&
		[ "$(cat "$XK_RUNDIR/$(xk_cg_lockname "$cg_id").object" 2>/dev/null)" = "$sum" ]; then
		if xk_ct_on "$cg_path" "$old_id"; then
			echo already
		else
			bpftool cgroup attach "$cg_path" sock_ops pinned "$dir/$XK_CT_PROG" multi ||
				die "$EX_FAIL" "$cg_path: attaching the sockops program failed"
			echo attached
		fi
		return 0
	fi
	new=$dir/_new
	# an attach killed after it attached the program of _new: off first,
	# or the cgroup would have two trackers counting every connection twice
	m=$(xk_ct_prog_id "$new/prog")
	if [ -n "$m" ] && xk_ct_on "$cg_path" "$m"; then
		bpftool cgroup detach "$cg_path" sock_ops id "$m" ||
			die "$EX_FAIL" "$cg_path: cannot detach sockops program $m an interrupted attach left"
	fi
	[ -n "$old_id" ] || rm -rf "$dir"
	xk_own_dir "$dir" "$XK_ROOT"
	rm -rf "$new"
	mkdir -p "$new" || die "$EX_FAIL" "cannot create $new"
	# the pinned maps whose layout is the object's are kept, counters and all
	set --
	for m in $(xk_dump --layout "$XK_CT_OBJ" | jq -r '.map'); do
		[ -e "$dir/$m" ] || continue
		set_=$(xk_dump --layout "$XK_CT_OBJ" | jq -c --arg m "$m" 'select(.map == $m) | del(.type)')
		if [ "$(xk_dump --layout "$dir/$m" 2>/dev/null | jq -c 'del(.type)')" = "$set_" ]; then
			set -- "$@" map name "$m" pinned "$dir/$m"
		fi
	done
	log=$(bpftool prog loadall "$XK_CT_OBJ" "$new/prog" "$@" pinmaps "$new/map" 2>&1) || {
		rm -rf "$new"
		[ -n "$old_id" ] || { rm -rf "$dir"; xk_prune "$dir"; }
		die "$EX_FAIL" "loading $XK_CT_OBJ failed: $(printf '%s\n' "$log" | grep -m1 -i 'error' ||
			printf '%s\n' "$log" | tail -n 1)"
	}
	xk_step ct-loaded
	xk_map_write "$new/map/ct_scope" 0 "$(jq -nc --argjson id "$cg_id" --arg p "$cg_path" '{cgroup_id: $id, path: $p}')"
	[ ! -e "$dir/conntrack" ] || printf '%s ' "$@" | grep -qF "$dir/conntrack " ||
		xk_map_write "$new/map/conntrack" 0 "$(xk_dump "$dir/conntrack")" 2>/dev/null || :
	# the new program on before the old one off: no connection goes unseen
	bpftool cgroup attach "$cg_path" sock_ops pinned "$new/prog/$XK_CT_PROG" multi || {
		rm -rf "$new"
		[ -n "$old_id" ] || { rm -rf "$dir"; xk_prune "$dir"; }
		die "$EX_FAIL" "$cg_path: attaching the sockops program failed (bpftool cgroup attach)"
	}
	xk_step ct-attached
	what=attached
	if [ -n "$old_id" ] && xk_ct_on "$cg_path" "$old_id"; then
		bpftool cgroup detach "$cg_path" sock_ops id "$old_id" ||
			warn "$cg_path: the old sockops program $old_id could not be detached"
		what=replaced
	fi
	for m in "$new"/map/*; do
		rm -f "$dir/${m##*/}"
		mv "$m" "$dir/" || die "$EX_FAIL" "cannot move $m into $dir"
	done
	xk_step ct-maps
	rm -f "$dir/$XK_CT_PROG"
	mv "$new/prog/$XK_CT_PROG" "$dir/" || die "$EX_FAIL" "cannot move the program into $dir"
	rm -rf "$new"
	printf '%s\n' "$sum" >"$XK_RUNDIR/$(xk_cg_lockname "$cg_id").object"
	echo "$what"
}

# The status of DIR: one JSON line {"type":"status","scope":"cgroup",...}.
xk_mod_conntrack_status() { # DIR
	local scope path id on maps sel st live
	scope=$(xk_ct_scope "$1")
	path=$(printf '%s' "$scope" | jq -r '.path // empty')
	id=$(xk_ct_prog_id "$1")
	[ -n "$id" ] || id=$(xk_ct_prog_id "$1/_new/prog")
	on=false
	[ -z "$path" ] || ! xk_ct_on "$path" "$id" || on=true
	maps=$(maps_status "$1")
	sel=$(xk_dump "$1/conntrack" 2>/dev/null) || sel=null
	st=$(xk_dump "$1/ct_stats" 2>/dev/null) || st=null
	live=$(xk_dump --count "$1/conns" 2>/dev/null | jq '.entries' 2>/dev/null) || live=null
	jq -nc --argjson scope "$scope" --arg pins "$1" --argjson on "$on" --arg id "$id" \
		--argjson maps "$maps" --argjson sel "$sel" --argjson st "$st" --argjson live "${live:-null}" \
		--argjson readers "$([ -e "$(xk_ct_readers_file "${1##*/}")" ] && echo true || echo false)" \
		--argjson present "$(if [ -z "$path" ]; then echo null; elif [ -d "$path" ]; then echo true; else echo false; fi)" \
		--argjson interrupted "$([ -e "$1/_new" ] && echo true || echo false)" \
		--arg version "$(xk_version)" '
	  {type: "status", ts: (now * 1e6 | floor / 1e6), scope: "cgroup",
	   cgroup: ($scope.path // null),
	   cgroup_id: ($scope.cgroup_id // ($pins | split("/") | last | tonumber? // null)), version: $version,
	   pins: $pins, present: $present, features: ["conntrack"],
	   for_reader: $readers,
	   sockops: {prog_id: ($id | tonumber? // null), attached: $on},
	   conntrack: {running: ($sel != null and ($sel.deadline // 0) > now),
	               pid: (if $sel != null and ($sel.pid // 0) != 0 then $sel.pid else null end),
	               live: $live,
	               connects: ($st.connects // null), active: ($st.active // null),
	               passive: ($st.passive // null), closed: ($st.closed // null),
	               failed: (if $st == null then null else
	                 [$st | to_entries[] | select(.key | startswith("failed_")) | .value] | add end),
	               retransmits: ($st.retransmits // null), unlisted: ($st.unlisted // null),
	               events: ($st.events // null), lost: ($st.lost // null)},
	   maps: $maps, memory: ([$maps[].memory // 0] | add // 0)}
	  | .problems = [
	      (if $interrupted then "an attach was interrupted: xdp-attach --cgroup PATH conntrack finishes it, xdp-detach --cgroup PATH removes it" else empty end),
	      (if $scope == null and ($interrupted | not) then "ct_scope map unreadable" else empty end),
	      (if $present == false then "cgroup \($scope.path // "?") does not exist" else empty end),
	      (if $present and ($on | not) then "sockops program not attached" else empty end),
	      (.maps[] | select(.readable | not) | "map \(.name) unreadable")]
	  | .health = (if $present == false then "stale"
	               elif (.problems | length) > 0 then "degraded" else "ok" end)'
}
