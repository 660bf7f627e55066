# lib/env.sh - what a command needs of the host: root, tools, kernel, BTF,
# bpffs, and xdpkit's own directories and locks. Sourced by lib/xdpkit.sh.

xk_require_root() {
	[ "$(id -u)" -eq 0 ] || die "$EX_ENV" "must be run as root (try sudo)"
}

xk_require_tool() { # TOOL PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		die "$EX_ENV" "$1 not found: install the $2 package (make deps)"
}

# The tools a command uses, and the built object or helper.
xk_require_tools() { # TOOL...
	local t
	for t in "$@"; do
		case $t in
		bpftool) xk_require_tool bpftool bpftool ;;
		jq) xk_require_tool jq jq ;;
		ip | tc) xk_require_tool "$t" iproute2 ;;
		flock | nsenter) xk_require_tool "$t" util-linux ;;
		xk-dump)
			[ -x "$XK_DUMP" ] ||
				die "$EX_ENV" "xdpkit is not built: $XK_DUMP is missing (run make)" ;;
		conntrack-object)
			[ -r "$XK_CT_OBJ" ] ||
				die "$EX_ENV" "xdpkit is not built: $XK_CT_OBJ is missing (run make)" ;;
		xk-drain)
			[ -x "$XK_DRAIN" ] ||
				die "$EX_ENV" "xdpkit is not built: $XK_DRAIN is missing (run make)" ;;
		object)
			[ -r "$XK_OBJ" ] ||
				die "$EX_ENV" "xdpkit is not built: $XK_OBJ is missing (run make)" ;;
		esac
	done
}

# What changing the datapath needs.
xk_require_build() {
	xk_require_tools bpftool jq ip tc flock nsenter object xk-dump
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
	local bad
	xk_check_root
	xk_is_bpffs "$(xk_bpffs_mount)" ||
		die "$EX_ENV" "no bpf filesystem at $(xk_bpffs_mount) (for $XK_ROOT): mount -t bpf bpf $(xk_bpffs_mount)$([ "$(xk_bpffs_mount)" != /sys/fs/bpf ] || echo ' (xdp-check does it)')"
	# what the commands that only read trust too: a pin root, or a
	# directory in it, that another user owns or can write is refused
	# (its pins could be anybody's)
	[ -d "$XK_ROOT" ] || return 0
	bad=$(find "$XK_ROOT" -maxdepth 3 -type d \( ! -user 0 -o -perm -g+w -o -perm -o+w \) -print 2>/dev/null |
		head -n 1)
	[ -z "$bad" ] ||
		die "$EX_ENV" "$bad must be owned by root and writable only by root (it is: $(stat -c '%u %A' "$bad"))"
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

# A directory for xdpkit's own state, and every directory between it and
# $2 (an ancestor that exists): made root-owned, and refused when somebody
# else owns one or can write to it (they could hold locks or move pins
# away). A fresh bpffs is mode 1777: only what xdpkit makes is trusted.
xk_own_dir() { # DIR [TOP]
	local d perm
	# twice: a detach elsewhere may remove an empty parent meanwhile
	[ -d "$1" ] || (umask 022 && mkdir -p "$1") 2>/dev/null ||
		(umask 022 && mkdir -p "$1") || die "$EX_FAIL" "cannot create $1"
	d=$1
	while :; do
		perm=$(stat -c '%u %A' "$d") || die "$EX_FAIL" "cannot stat $d"
		case $perm in
		"0 d"????-??-?*) ;;
		*) die "$EX_ENV" "$d must be owned by root and writable only by root (it is: $perm)" ;;
		esac
		if [ -z "${2:-}" ] || [ "$d" = "$2" ] || [ "${d%/*}" = "$d" ]; then
			break
		fi
		d=${d%/*}
	done
}

# Serialise commands that change one scope (NAME: a file name). The lock is
# dropped when the shell exits (fd 9 closes). Lock files stay: removing one
# would race with a command waiting on it.
xk_lock() { # NAME [LABEL: what messages call it]
	local f wait
	wait=${XDPKIT_LOCK_WAIT:-30}
	case $wait in
	'' | *[!0-9]*) die "$EX_USAGE" "XDPKIT_LOCK_WAIT must be whole seconds, not '$wait'" ;;
	esac
	[ "${#wait}" -le 6 ] || die "$EX_USAGE" "XDPKIT_LOCK_WAIT is too large: '$wait'"
	case $XK_RUNDIR in
	/*) ;;
	*) die "$EX_ENV" "XDPKIT_RUNDIR must be an absolute path, not '$XK_RUNDIR'" ;;
	esac
	xk_own_dir "$XK_RUNDIR"
	f=$XK_RUNDIR/$1.lock
	(umask 077 && : >>"$f") 2>/dev/null || die "$EX_FAIL" "cannot open lock $f"
	exec 9>>"$f" || die "$EX_FAIL" "cannot open lock $f"
	flock -w "$wait" 9 ||
		die "$EX_LOCK" "${2:-$1}: another xdpkit command holds $f (waited $wait s)"
}

# A test hook: XDPKIT_TEST_KILL_AT=STEP kills the command with SIGKILL at
# that step of a change (tests/crash.bats), to prove that whatever is left
# is recognised and finished or undone by the next command; STEP:TERM (or
# :INT, :HUP) sends that signal instead.
# A step inside a subshell ($(...)) kills the subshell too: killed alone,
# the command would leave it to finish the change behind its back.
xk_step() { # STEP
	case ${XDPKIT_TEST_KILL_AT:-} in
	"$1") kill -9 $$ "$(exec sh -c 'echo "$PPID"')" ;;
	"$1":TERM | "$1":INT | "$1":HUP) kill -s "${XDPKIT_TEST_KILL_AT#*:}" $$ ;;
	esac
}
