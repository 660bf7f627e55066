# lib/xdpkit.sh - what every command in bin/ sources first: where things
# are, exit statuses, messages, help and version; then the rest of the
# library, one file per concern:
#
#   opts.sh  the option parser and argument checks
#   env.sh   root, tools, kernel, bpffs, xdpkit's own directories, locks
#   pins.sh  scopes: where an interface's (or a cgroup's) pins live
#   maps.sh  reading, writing and comparing pinned maps (through BTF)
#   net.sh   ip and tc: what is attached, and whether it is xdpkit's
#   modules/ one file per module: its scope, and how status and detach
#            treat it
#
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
XK_DRAIN=$XK_LIBEXEC/xk-drain
[ -x "$XK_DRAIN" ] || [ ! -x "$XK_SHARE/../../bin/xk-drain" ] ||
	XK_DRAIN=$(cd "$XK_SHARE/../../bin" && pwd)/xk-drain
XK_ROOT=${XDPKIT_BPFFS:-/sys/fs/bpf/xdpkit}
XK_RUNDIR=${XDPKIT_RUNDIR:-/run/xdpkit}
XK_OBJ=$XK_LIBEXEC/xdpkit.bpf.o
XK_PROG=${0##*/}

# Exit statuses, documented in the README.
EX_OK=0
EX_FAIL=1        # a BPF, bpftool, ip or tc operation failed
EX_USAGE=2       # malformed arguments
EX_ENV=3         # environment: not root, bpffs/BTF/tool missing, not built
EX_NOIFACE=4     # no such interface (or network namespace)
EX_FOREIGN=5     # a program or filter xdpkit did not attach is in the way
EX_ATTACH=6      # the driver refused the requested XDP mode
EX_NOTATTACHED=7 # nothing of xdpkit's on that interface
EX_LAYOUT=8      # a pinned map's layout differs from the object's
EX_LOCK=9        # another xdpkit command holds the interface's lock

warn() { printf '%s: %s\n' "$XK_PROG" "$*" >&2; }
die() {
	local code
	code=$1
	shift
	# one line, whatever an argument quoted in it holds: control characters
	# (a newline in a hostile value) print as '?'
	printf '%s: error: %s\n' "$XK_PROG" "$(printf '%s' "$*" | tr '\000-\037\177' '?')" >&2
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

# shellcheck source=lib/opts.sh
. "$XK_SHARE/opts.sh"
# shellcheck source=lib/env.sh
. "$XK_SHARE/env.sh"
# shellcheck source=lib/pins.sh
. "$XK_SHARE/pins.sh"
# shellcheck source=lib/maps.sh
. "$XK_SHARE/maps.sh"
# shellcheck source=lib/net.sh
. "$XK_SHARE/net.sh"

# The modules (lib/modules/NAME.sh, see iface.sh): what xdp-status and
# xdp-detach --all iterate over. A new module is a new file there.
xk_modules() {
	local f n
	for f in "$XK_SHARE"/modules/*.sh; do
		n=${f##*/}
		n=${n%.sh}
		case $n in '' | *[!a-z0-9_]*) continue ;; esac
		[ -r "$f" ] && printf '%s\n' "$n"
	done
}
# shellcheck source=lib/modules/iface.sh
. "$XK_SHARE/modules/iface.sh"
for xk_m in $(xk_modules); do
	# shellcheck source=/dev/null # the modules found at run time
	[ "$xk_m" = iface ] || . "$XK_SHARE/modules/$xk_m.sh"
done
unset xk_m
