# lib/pins.sh - scopes: where pins live. Sourced by lib/xdpkit.sh.
# shellcheck disable=SC2034 # XK_NS* are read by the commands
#
# Under $XDPKIT_BPFFS (default /sys/fs/bpf/xdpkit), one directory per scope,
# and a level that says which kind of scope it is:
#
#   net/NETNS/IFACE/   an interface; NETNS is the inode number of its network
#                      namespace (`stat -L -c %i /proc/self/ns/net`, what
#                      `ip netns identify`'s files and `lsns` show), so two
#                      namespaces can each have an eth0. bpffs refuses dots:
#                      eth0.100 pins as eth0:100.
#   cgroup/ID/         a cgroup v2 directory, by its id (the inode number of
#                      the directory); the path is kept in a map there.
#
# Before 0.3 an interface's pins were $XDPKIT_BPFFS/IFACE/; xdp-attach moves
# such a directory into net/NETNS/ with its counters, and xdp-status and
# xdp-detach find it where it is.

# The network namespace the command acts in: the caller's, unless
# xk_set_netns chose another. XK_NSFILE is what nsenter enters ("" for the
# caller's own), XK_NS its inode number, XK_NSNAME how to name it in
# messages ("" for the caller's own).
XK_NSFILE=""
XK_NSNAME=""
XK_NS=$(stat -L -c %i /proc/self/ns/net 2>/dev/null) || XK_NS=0
XK_OWN_NS=$XK_NS

# --netns NAME (a name from `ip netns`, /run/netns/NAME) or PATH (an
# absolute path to a namespace file, such as /proc/PID/ns/net for a
# container's).
xk_set_netns() { # NAME|PATH
	local f ns
	case $1 in
	/*)
		case /$1/ in
		*/../* | */./* | *[!A-Za-z0-9_./:-]*) xk_usage "--netns: '$1' is not a plain absolute path" ;;
		esac
		f=$1
		;;
	*)
		case $1 in
		'' | . | .. | *[!A-Za-z0-9_.-]*) xk_usage "--netns: invalid namespace name '$1'" ;;
		esac
		f=/run/netns/$1
		;;
	esac
	ns=$(stat -L -c %i "$f" 2>/dev/null) ||
		die "$EX_NOIFACE" "$1: no such network namespace"
	[ "$(stat -L -f -c %T "$f" 2>/dev/null)" = nsfs ] ||
		die "$EX_NOIFACE" "$1: not a network namespace"
	XK_NS=$ns
	if [ "$ns" = "$XK_OWN_NS" ]; then
		XK_NSFILE="" XK_NSNAME=""
	else
		XK_NSFILE=$f XK_NSNAME=$1
	fi
}

# A file to enter namespace NS (an inode number) by, or nothing: a name
# under /run/netns, else any process in it.
xk_ns_file() { # NS
	local f
	[ "$1" != "$XK_OWN_NS" ] || return 0
	for f in /run/netns/*; do
		[ -e "$f" ] && [ "$(stat -L -c %i "$f" 2>/dev/null)" = "$1" ] &&
			{ printf '%s\n' "$f"; return 0; }
	done
	# ls -l shows each link as net:[INODE]: one process for all of them
	# shellcheck disable=SC2010 # the link targets are what is searched
	ls -l /proc/[0-9]*/ns/net 2>/dev/null | grep -m1 "net:\[$1\]\$" |
		sed 's/.* \(\/proc\/[0-9]*\/ns\/net\) -> .*/\1/'
}

# Act in namespace NS (from a pin directory): sets XK_NS, XK_NSFILE and
# XK_NSNAME; false when nothing is left of that namespace.
xk_enter_ns() { # NS
	local f
	XK_NS=$1
	if [ "$1" = "$XK_OWN_NS" ]; then
		XK_NSFILE="" XK_NSNAME=""
		return 0
	fi
	f=$(xk_ns_file "$1")
	XK_NSFILE=$f
	case $f in
	/run/netns/*) XK_NSNAME=${f#/run/netns/} ;;
	*) XK_NSNAME=net:$1 ;;
	esac
	[ -n "$f" ]
}

# The interface's name as a pin directory name (bpffs refuses dots), and back.
xk_pinname() { printf '%s\n' "$1" | tr . :; }
xk_pindir_iface() { printf '%s\n' "${1##*/}" | tr : .; }

# The pin directory of an interface in the current namespace.
xk_pindir() { # IFACE
	printf '%s/net/%s/%s\n' "$XK_ROOT" "$XK_NS" "$(xk_pinname "$1")"
}

# The directory of an interface's pins in the layout before 0.3, when it
# holds any (only for the caller's own namespace: there was no other).
xk_old_pindir() { # IFACE
	local d
	[ "$XK_NS" = "$XK_OWN_NS" ] || return 1
	d=$XK_ROOT/$(xk_pinname "$1")
	[ -e "$d/config" ] || [ -e "$d/xdpkit_ingress" ] || return 1
	printf '%s\n' "$d"
}

# The lock of an interface's scope.
xk_lockname() { printf 'net-%s-%s\n' "$XK_NS" "$(xk_pinname "$1")"; }

# Every interface pin directory: the new layout, then old ones.
xk_all_pindirs() {
	local d
	for d in "$XK_ROOT"/net/*/*; do
		[ -d "$d" ] && printf '%s\n' "$d"
	done
	for d in "$XK_ROOT"/*; do
		[ -e "$d/config" ] || [ -e "$d/xdpkit_ingress" ] || continue
		printf '%s\n' "$d"
	done
}

# The namespace (inode) a pin directory belongs to.
xk_pindir_ns() { # DIR
	case ${1%/*} in
	"$XK_ROOT"/net/*) printf '%s\n' "${1%/*}" | sed 's|.*/||' ;;
	*) printf '%s\n' "$XK_OWN_NS" ;;
	esac
}

# After a scope's pins are gone: the directories above it, when empty
# (rmdir leaves them when another scope is in them).
xk_prune() { # DIR
	if rmdir "${1%/*}" 2>/dev/null; then
		rmdir "${1%/*/*}" 2>/dev/null || :
	fi
}

# Move the pins of IFACE from the old layout into the new (under the lock).
xk_adopt_old() { # IFACE
	local old new
	old=$(xk_old_pindir "$1") || return 0
	new=$(xk_pindir "$1")
	[ ! -e "$new" ] || return 0
	xk_own_dir "${new%/*}" "$XK_ROOT"
	mv "$old" "$new" || die "$EX_FAIL" "$old: cannot move it to $new"
	warn "$1: pins moved from $old to $new (the layout of xdpkit 0.3)"
}
