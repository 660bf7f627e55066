# lib/xdpkit.sh - shared shell for the commands in bin/: paths, pins, errors,
# argument checks, locking, and reading and writing the pinned maps.
# Sourced, not run. POSIX sh.
# shellcheck disable=SC2034 # the constants are used by the commands

# bpftool, ip and tc live in sbin, which cron's PATH (/usr/bin:/bin) lacks.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

# Where the BPF objects and the helper are: PREFIX/lib/xdpkit and PREFIX/bin
# in an installed copy (the library is in PREFIX/share/xdpkit), build/ in the
# source tree. Found from the library's own place, so a copy moved elsewhere
# (a DESTDIR) still works; XDPKIT_LIBEXEC overrides.
if [ -n "${XDPKIT_LIBEXEC:-}" ]; then
	XK_LIBEXEC=$XDPKIT_LIBEXEC
elif [ -r "$XK_SHARE/../../lib/xdpkit/xdpkit.bpf.o" ]; then
	XK_LIBEXEC=$(cd "$XK_SHARE/../../lib/xdpkit" && pwd)
else
	XK_LIBEXEC=$(cd "$XK_SHARE/.." && pwd)/build
fi
XK_DUMP=$XK_LIBEXEC/xk-dump
[ -x "$XK_DUMP" ] || [ ! -x "$XK_SHARE/../../bin/xk-dump" ] ||
	XK_DUMP=$(cd "$XK_SHARE/../../bin" && pwd)/xk-dump
XK_ROOT=${XDPKIT_BPFFS:-/sys/fs/bpf/xdpkit}
XK_RUNDIR=${XDPKIT_RUNDIR:-/run/xdpkit}
XK_OBJ=$XK_LIBEXEC/xdpkit.bpf.o
XK_PROG=${0##*/}

# tc egress filter identity: a preference unlikely to be anybody else's.
XK_TC_PREF=22596
XK_TC_HANDLE=0x1

# Exit statuses, documented in the README.
EX_OK=0
EX_FAIL=1        # a BPF, bpftool, ip or tc operation failed
EX_USAGE=2       # malformed arguments
EX_ENV=3         # environment: not root, bpffs/BTF/tool missing, not built
EX_NOIFACE=4     # no such interface
EX_FOREIGN=5     # a program or filter xdpkit did not attach is in the way
EX_ATTACH=6      # the driver refused the requested XDP mode
EX_NOTATTACHED=7 # nothing of xdpkit's on that interface
EX_SCHEMA=8      # pinned maps have a layout this object does not use
EX_LOCK=9        # another xdpkit command holds the interface's lock

warn() { printf '%s: %s\n' "$XK_PROG" "$*" >&2; }
die() {
	local code
	code=$1
	shift
	printf '%s: error: %s\n' "$XK_PROG" "$*" >&2
	exit "$code"
}

# The comment block under the shebang, without its '# ', is the help text.
xk_help() {
	sed -n '2,/^[^#]/{/^#/{s/^# \{0,1\}//;p;}}' "$0"
}

# The version, written at build time (make) beside the objects.
xk_version() {
	cat "$XK_LIBEXEC/version" 2>/dev/null || echo unknown
}

# -h/--help and --version anywhere among the arguments: answer and exit.
xk_common_opts() {
	local a
	for a in "$@"; do
		case $a in
		--) break ;;
		-h | --help) xk_help; exit 0 ;;
		--version) printf '%s (xdpkit) %s\n' "$XK_PROG" "$(xk_version)"; exit 0 ;;
		esac
	done
}

# Usage error: one line, and where to look.
xk_usage() { die "$EX_USAGE" "$* (see --help)"; }

xk_valid_iface() {
	case $1 in
	'' | *[!A-Za-z0-9_.-]*) return 1 ;;
	esac
	[ "${#1}" -le 15 ] || return 1
	case $1 in . | ..) return 1 ;; esac
	return 0
}

xk_check_iface_name() {
	xk_valid_iface "$1" ||
		xk_usage "invalid interface name '$1': 1-15 characters of [A-Za-z0-9_.-]"
}

xk_check_uint() { # NAME VALUE
	case $2 in
	'' | *[!0-9]*) xk_usage "$1 needs a non-negative integer, not '$2'" ;;
	esac
	[ "${#2}" -le 9 ] || xk_usage "$1 is too large: '$2'"
}

xk_iface_exists() { [ -e "/sys/class/net/$1/ifindex" ]; }

xk_ifindex() { cat "/sys/class/net/$1/ifindex"; }

xk_require_root() {
	[ "$(id -u)" -eq 0 ] || die "$EX_ENV" "must be run as root (try sudo)"
}

xk_require_tool() { # TOOL PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		die "$EX_ENV" "$1 not found: install the $2 package (make deps)"
}

# Is the directory on a bpf filesystem?
xk_is_bpffs() { [ "$(stat -f -c %T "$1" 2>/dev/null)" = bpf_fs ]; }

# XDPKIT_BPFFS must be an absolute path of plain components.
xk_check_root() {
	case $XK_ROOT in
	/*) ;;
	*) die "$EX_ENV" "XDPKIT_BPFFS must be an absolute path, not '$XK_ROOT'" ;;
	esac
	case /$XK_ROOT/ in
	*/../* | */./* | *[!A-Za-z0-9_./:-]*)
		die "$EX_ENV" "XDPKIT_BPFFS: '$XK_ROOT' must be a plain absolute path" ;;
	esac
}

# The bpffs mount point above XK_ROOT: its first existing ancestor.
xk_bpffs_mount() {
	local d
	d=$XK_ROOT
	while [ -n "$d" ] && [ ! -d "$d" ]; do d=${d%/*}; done
	printf '%s\n' "${d:-/}"
}

# No bpf filesystem where the pins go: exit 3.
xk_require_bpffs() {
	xk_check_root
	xk_is_bpffs "$(xk_bpffs_mount)" ||
		die "$EX_ENV" "no bpf filesystem at $(xk_bpffs_mount) (for $XK_ROOT): mount -t bpf bpf /sys/fs/bpf (xdp-check does it)"
}

# The tools a command uses, and the built object or helper.
xk_require_tools() { # TOOL...
	local t
	for t in "$@"; do
		case $t in
		bpftool) xk_require_tool bpftool bpftool ;;
		jq) xk_require_tool jq jq ;;
		ip | tc) xk_require_tool "$t" iproute2 ;;
		flock) xk_require_tool flock util-linux ;;
		xk-dump)
			[ -x "$XK_DUMP" ] ||
				die "$EX_ENV" "xdpkit is not built: $XK_DUMP is missing (run make)" ;;
		object)
			if [ ! -r "$XK_OBJ" ] || [ ! -r "$XK_LIBEXEC/xdpkit.schema" ]; then
				die "$EX_ENV" "xdpkit is not built: $XK_OBJ is missing (run make)"
			fi ;;
		esac
	done
}

# What changing the datapath needs.
xk_require_build() {
	xk_require_tools bpftool jq ip tc flock object xk-dump
}

# Is kernel release $1 (uname -r) 5.15 or later?
xk_kernel_ok() {
	local major minor
	major=${1%%.*}
	minor=${1#*.}
	minor=${minor%%[!0-9]*}
	case $major in '' | *[!0-9]*) return 1 ;; esac
	[ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "${minor:-0}" -ge 15 ]; }
}

# Root, kernel, BTF and bpffs: what changing the datapath needs.
xk_require_env() {
	xk_require_root
	xk_kernel_ok "$(uname -r)" ||
		die "$EX_ENV" "kernel $(uname -r) is too old: xdpkit needs 5.15 or later"
	[ -s /sys/kernel/btf/vmlinux ] ||
		die "$EX_ENV" "kernel has no BTF (/sys/kernel/btf/vmlinux): needs CONFIG_DEBUG_INFO_BTF=y"
	xk_require_bpffs
}

# bpffs refuses names with a dot, so eth0.100 pins under eth0:100.
xk_pindir() { printf '%s/%s\n' "$XK_ROOT" "$(printf '%s' "$1" | tr . :)"; }

# The interface a pin directory belongs to.
xk_pindir_iface() { printf '%s\n' "${1##*/}" | tr : .; }

# A directory for xdpkit's own state: made root-owned, and refused when
# somebody else owns it or can write to it (they could hold locks or move
# pins away).
xk_own_dir() { # DIR
	local perm
	[ -d "$1" ] || (umask 022 && mkdir -p "$1") || die "$EX_FAIL" "cannot create $1"
	perm=$(stat -c '%u %A' "$1") || die "$EX_FAIL" "cannot stat $1"
	case $perm in
	"0 d"????-??-?*) ;;
	*) die "$EX_ENV" "$1 must be owned by root and writable only by root (it is: $perm)" ;;
	esac
}

# Serialise commands that change an interface. The lock is dropped when the
# shell exits (fd 9 closes). Lock files stay: removing one would race with a
# command waiting on it.
xk_lock() {
	local f wait
	wait=${XDPKIT_LOCK_WAIT:-30}
	case $wait in
	'' | *[!0-9]*) die "$EX_USAGE" "XDPKIT_LOCK_WAIT must be whole seconds, not '$wait'" ;;
	esac
	[ "${#wait}" -le 6 ] || die "$EX_USAGE" "XDPKIT_LOCK_WAIT is too large: '$wait'"
	xk_own_dir "$XK_RUNDIR"
	f=$XK_RUNDIR/$1.lock
	(umask 077 && : >>"$f") 2>/dev/null || die "$EX_FAIL" "cannot open lock $f"
	exec 9>>"$f" || die "$EX_FAIL" "cannot open lock $f"
	flock -w "$wait" 9 ||
		die "$EX_LOCK" "$1: another xdpkit command holds $f (waited $wait s)"
}

# Print every entry of a pinned map as JSON lines (helpers/xk-dump).
xk_dump() { "$XK_DUMP" "$@"; }

# The config entry of an interface, one JSON object, or nothing.
xk_config() {
	local pin
	pin=$(xk_pindir "$1")/config
	[ -e "$pin" ] || return 1
	xk_dump --iface "$1" "$pin"
}

# Host byte order, for encoding map values: 1 little-endian, 0 big-endian.
xk_le() {
	[ "$(printf '\001\000' | od -An -tu2 | tr -d ' ')" = 1 ] && echo 1 || echo 0
}

# Write one entry of a pinned map from a JSON object whose fields are named as
# the value struct's members (the layout comes from the map's BTF, through
# lib/btf.jq). Usage: xk_map_write PIN KEY_INDEX VALUE_STRUCT_NAME JSON
xk_map_write() {
	local pin key type json btf hex keyhex
	pin=$1 key=$2 type=$3 json=$4
	btf=$(bpftool -j map show pinned "$pin" | jq -r '.btf_id // empty') || btf=""
	[ -n "$btf" ] || die "$EX_FAIL" "$pin: map has no BTF"
	hex=$(bpftool -j btf dump id "$btf" |
		jq -r --argjson v "$json" --arg t "$type" --argjson le "$(xk_le)" \
			-L "$XK_SHARE" 'include "btf"; xk_encode($t; $v; $le) | join(" ")') ||
		die "$EX_FAIL" "$pin: cannot encode $type"
	keyhex=$(jq -rn --argjson k "$key" --argjson le "$(xk_le)" -L "$XK_SHARE" \
		'include "btf"; xk_le_bytes($k; 4; $le) | join(" ")')
	# shellcheck disable=SC2086 # word splitting of the hex byte lists is wanted
	bpftool map update pinned "$pin" key hex $keyhex value hex $hex ||
		die "$EX_FAIL" "$pin: update failed"
}

# Names of the features an object knows, one a line (from its BTF).
xk_features_of() {
	bpftool -j btf dump file "$1" |
		jq -r -L "$XK_SHARE" 'include "btf"; xk_enum_names("xk_feature")[]'
}

# The features of the built object, space-separated; exit 3 when the object
# is not a usable xdpkit object (truncated, or without its feature enum).
xk_known_features() {
	local f
	f=$(xk_features_of "$XK_OBJ" 2>/dev/null | tr '\n' ' ') || f=""
	f=${f% }
	case $f in
	'' | *[!a-z0-9_\ ]*) die "$EX_ENV" "$XK_OBJ is not a usable xdpkit object (no feature list in its BTF): rebuild it (make)" ;;
	esac
	printf '%s\n' "$f"
}

# The names of the maps an object defines, one a line (its .maps section).
xk_maps_of() {
	bpftool -j btf dump file "$1" |
		jq -r '.types as $t | .types[] | select(.kind == "DATASEC" and .name == ".maps")
			| .vars[].type_id as $id | $t[] | select(.id == $id) | .name'
}

# The ip-link keyword for an XDP mode.
xk_ip_mode() {
	case $1 in
	native) echo xdpdrv ;;
	generic) echo xdpgeneric ;;
	offload) echo xdpoffload ;;
	*) echo xdp ;;
	esac
}

# Id of a pinned program, or nothing.
xk_prog_id() {
	[ -e "$1" ] && bpftool -j prog show pinned "$1" 2>/dev/null | jq -r '.id // empty'
}

# The XDP program on an interface: "MODE ID NAME" (mode: native, generic,
# offload, multi) or nothing.
xk_xdp_on() {
	ip -j link show dev "$1" 2>/dev/null | jq -r '.[0].xdp // empty |
		"\({"1":"native","2":"generic","3":"offload","4":"multi"}[.mode|tostring] // .mode) \(.prog.id // (.attached[0].prog.id)) \(.prog.name // .attached[0].prog.name // "?")"'
}

# The program id of the tc egress filter at xdpkit's preference, or nothing.
xk_tc_filter_on() {
	tc -j filter show dev "$1" egress 2>/dev/null |
		jq -r --argjson p "$XK_TC_PREF" '.[] | select(.pref == $p and .options != null)
			| "\(.options.prog.id // "?") \(.options.prog.name // .options.bpf_name // "?")"' | head -n 1
}

xk_has_clsact() {
	tc -j qdisc show dev "$1" 2>/dev/null | jq -e 'any(.[]; .kind == "clsact")' >/dev/null
}
