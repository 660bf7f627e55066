# lib/net.sh - ip and tc, in the namespace the command acts in: what is
# attached to an interface, and whether it is xdpkit's. Sourced by
# lib/xdpkit.sh.
# shellcheck disable=SC2034 # the state variables are read by the commands

# tc filter identity (ingress and egress): a preference unlikely to be anybody else's, and
# a handle; another filter may share the preference with another handle.
XK_TC_PREF=22596
XK_TC_HANDLE=0x1

# Run a command in the namespace chosen (lib/pins.sh): nsenter enters only
# the network namespace, so bpffs and the pins stay in view.
xk_ns() {
	if [ -n "$XK_NSFILE" ]; then
		nsenter --net="$XK_NSFILE" "$@"
	else
		"$@"
	fi
}

# /sys/class/net shows the namespace sysfs was mounted in, so other
# namespaces are asked through ip.
xk_iface_exists() {
	if [ -z "$XK_NSFILE" ]; then
		[ -e "/sys/class/net/$1/ifindex" ]
	else
		xk_ns ip link show dev "$1" >/dev/null 2>&1
	fi
}

xk_ifindex() {
	if [ -z "$XK_NSFILE" ]; then
		cat "/sys/class/net/$1/ifindex"
	else
		xk_ns ip -j link show dev "$1" | jq '.[0].ifindex'
	fi
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

# The XDP program on an interface, in xdp_mode (native, generic, offload,
# multi), xdp_id and xdp_name; all empty when there is none.
xk_xdp_state() { # IFACE
	local s
	s=$(xk_ns ip -j link show dev "$1" 2>/dev/null | jq -r '.[0].xdp // empty |
		"\({"1":"native","2":"generic","3":"offload","4":"multi"}[.mode|tostring] // .mode) \(.prog.id // .attached[0].prog.id) \(.prog.name // .attached[0].prog.name // "?")"')
	xdp_mode="" xdp_id="" xdp_name=""
	[ -n "$s" ] || return 0
	# shellcheck disable=SC2086 # three words from jq: mode, id, name
	set -- $s
	xdp_mode=$1 xdp_id=$2 xdp_name=$3
}

# The tc filter at xdpkit's preference and handle on DIR (egress, the
# default, or ingress): tc_id and tc_name (empty when there is none);
# tc_others: how many filters of others share the preference.
xk_tc_state() { # IFACE [DIR]
	local s
	s=$(xk_ns tc -j filter show dev "$1" "${2:-egress}" 2>/dev/null | jq -r \
		--argjson p "$XK_TC_PREF" --arg h "$XK_TC_HANDLE" '
		[.[] | select(.pref == $p and .options != null)] as $at
		| ([$at[] | select(.options.handle == $h)] | first) as $f
		| "\($at | map(select(.options.handle != $h)) | length) \($f.options.prog.id // "") \($f.options.prog.name // $f.options.bpf_name // "")"')
	tc_id="" tc_name="" tc_others=0
	[ -n "$s" ] || return 0
	# shellcheck disable=SC2086 # up to three words from jq
	set -- $s
	tc_others=$1 tc_id=${2:-} tc_name=${3:-}
}

# What runs on DIR (ingress or egress) of IFACE before xdpkit's tc filter,
# as a JSON array of {hook, prog_id, name, ...}: tcx links (they run before
# every clsact filter, and one that returns a verdict ends the chain; as
# `bpftool net` lists them from 7.3 on) and clsact filters of a lower
# preference. What they drop, redirect or pass on with a verdict, xdpkit's
# filter does not see.
xk_tc_before() { # IFACE DIR
	{
		xk_ns bpftool -j net show dev "$1" 2>/dev/null | jq -c --arg k "tcx/$2" '
			[.[0].tc[]? | select(.kind == $k) | {hook: "tcx", prog_id, link_id, name}]' ||
			echo '[]'
		xk_ns tc -j filter show dev "$1" "$2" 2>/dev/null | jq -c --argjson p "$XK_TC_PREF" '
			[.[] | select(.pref < $p and .options != null)
			 | {hook: "tc", pref, prog_id: (.options.prog.id // null),
			    name: (.options.prog.name // .options.bpf_name // .kind)}]' ||
			echo '[]'
	} | jq -sc 'add // [] | unique_by([.hook, .link_id, .pref, .prog_id]) | sort_by(.hook == "tc")'
}

# The tcx links of the host that bpftool cannot place (before 7.3 it
# shows a tcx link without its interface or direction), as a JSON array of
# {hook, link_id, prog_id, name}: any of them may run before xdpkit's
# filters on any interface.
xk_tcx_unplaced() {
	bpftool -j link show 2>/dev/null | jq -c '
		[.[] | select((.type == "tcx" or .type == 11) and .ifindex == null)
		 | {hook: "tcx", link_id: .id, prog_id}]' | while read -r l; do
		printf '%s\n' "$l" | jq -r '.[].prog_id' | while read -r id; do
			bpftool -j prog show id "$id" 2>/dev/null | jq -c '{(.id | tostring): .name}' || :
		done | jq -sc --argjson l "$l" 'add // {} | . as $n | $l | map(.name = $n[.prog_id | tostring])'
	done
}

xk_has_clsact() {
	xk_ns tc -j qdisc show dev "$1" 2>/dev/null | jq -s -e 'any(.[][]; .kind == "clsact")' >/dev/null
}

# The ids of the programs pinned in an interface's pin directory, its own
# and those of an attach that did not finish (DIR/_new): what xdpkit calls
# its own on that interface. One a line.
xk_our_prog_ids() { # DIR
	local p
	for p in "$1"/xdpkit_* "$1"/_new*/prog/*; do
		[ -e "$p" ] && xk_prog_id "$p"
	done
	return 0
}

# The one ownership check: is program ID (attached to the interface) one of
# those pinned in DIR?
xk_is_ours() { # DIR ID
	# grep reads it all (not -q): an early exit would break the pipe under the writers
	[ -n "$2" ] && xk_our_prog_ids "$1" | grep -x "$2" >/dev/null
}

# Take xdpkit's programs of pin directory DIR off IFACE (in the namespace
# chosen): the XDP program and the tc ingress and egress filters, each only when it is
# ours; what is not ours is left, with a word. 1: an ip or tc command failed.
xk_unattach() { # IFACE DIR
	local d
	xk_xdp_state "$1"
	if [ -n "$xdp_id" ]; then
		if xk_is_ours "$2" "$xdp_id"; then
			xk_ns ip link set dev "$1" "$(xk_ip_mode "$xdp_mode")" off || {
				warn "$1: removing the XDP program failed"
				return 1
			}
		else
			warn "$1: leaving XDP program id $xdp_id ($xdp_name) alone: xdpkit did not attach it"
		fi
		xk_step xdp-removed
	fi
	for d in ingress egress; do
		xk_tc_state "$1" "$d"
		[ -n "$tc_id" ] || continue
		if xk_is_ours "$2" "$tc_id"; then
			xk_ns tc filter del dev "$1" "$d" pref "$XK_TC_PREF" handle "$XK_TC_HANDLE" bpf || {
				warn "$1: removing the tc $d filter failed"
				return 1
			}
			xk_step "tc-$d-removed"
		else
			warn "$1: leaving the tc $d filter at preference $XK_TC_PREF alone: xdpkit did not attach it"
		fi
	done
	return 0
}

# Network namespaces to search, one file each: the names of `ip netns`,
# then one process of every other namespace.
xk_all_ns_files() {
	local f seen
	seen=" "
	for f in /run/netns/*; do
		[ -e "$f" ] || continue
		seen="$seen$(stat -L -c %i "$f" 2>/dev/null) "
		printf '%s\n' "$f"
	done
	# shellcheck disable=SC2010,SC2012 # the link targets are what is searched
	ls -l /proc/[0-9]*/ns/net 2>/dev/null |
		sed -n 's/.* \(\/proc\/[0-9]*\/ns\/net\) -> net:\[\([0-9]*\)\]$/\2 \1/p' |
		sort -u -k1,1 | while read -r n f; do
			case $seen in *" $n "*) continue ;; esac
			printf '%s\n' "$f"
		done
}

# Where the XDP programs of DIR are attached, in any namespace: lines of
# "NSFILE IFACE" (NSFILE "-" for the caller's own). For an interface moved
# to another namespace after the attach.
xk_find_ours() { # DIR
	local ids f
	ids=$(xk_our_prog_ids "$1" | jq -R 'tonumber? // empty' | jq -sc .)
	[ "$ids" != "[]" ] || return 0
	{
		ip -j link show 2>/dev/null | jq -r --argjson ids "$ids" \
			'.[] | select((.xdp.prog.id // .xdp.attached[0].prog.id) as $i | $ids | any(.[]; . == $i)) | "- \(.ifname)"'
		xk_all_ns_files | while read -r f; do
			[ "$(stat -L -c %i "$f" 2>/dev/null)" != "$XK_OWN_NS" ] || continue
			nsenter --net="$f" ip -j link show 2>/dev/null | jq -r --argjson ids "$ids" --arg f "$f" \
				'.[] | select((.xdp.prog.id // .xdp.attached[0].prog.id) as $i | $ids | any(.[]; . == $i)) | "\($f) \(.ifname)"'
		done
	} || :
}

# The ingress hook `--hook auto` takes on IFACE, in pick_hook (xdp or tc),
# and why, in pick_why; pick_mtu: the MTU native XDP is judged by, its
# own or, on a veth, its peer's (veth_xdp_set refuses a peer MTU it cannot
# take; a peer in another namespace is not looked at: its own then), and
# pick_mtu_of: whose it is. Native XDP where a driver of a
# physical NIC runs it before any skb is built; tc on every virtual device
# and on virtio_net, where native XDP costs the monitored traffic most of
# its throughput (README, "Which hook"): veth takes away its peer's GSO and
# copies every packet once a program is attached; virtio_net turns off the
# guest's receive offloads for it. tc too where the MTU is larger than
# native XDP takes from a program without frags support (xdpkit's).
XK_XDP_MAX_MTU=3500
xk_pick_hook() { # IFACE
	local s kind bus peer
	s=$(xk_ns ip -d -j link show dev "$1" 2>/dev/null |
		jq -r '.[0] | "\(.linkinfo.info_kind // "-") \(.parentbus // "-") \(.mtu // 0) \(if .link_netnsid == null then .link // "-" else "-" end)"') ||
		s="- - 0 -"
	# shellcheck disable=SC2086 # four words from jq
	set -- $s
	kind=$1 bus=$2 pick_mtu=$3 pick_mtu_of=""
	if [ "$kind" = veth ] && [ "$4" != - ]; then # the peer, by name: in this namespace
		peer=$(xk_ns ip -j link show dev "$4" 2>/dev/null | jq '.[0].mtu // 0') || peer=0
		[ "$peer" -eq 0 ] || pick_mtu=$peer pick_mtu_of=" (its veth peer's)"
	fi
	if [ "$kind" != - ]; then
		pick_hook=tc pick_why="a virtual device ($kind): tc keeps its GSO and GRO; native XDP would cost most of its bulk throughput"
	elif [ "$bus" = virtio ]; then
		pick_hook=tc pick_why="virtio_net: native XDP turns off its receive offloads (LRO) and would cost bulk throughput"
	elif [ "$bus" = - ]; then
		pick_hook=tc pick_why="a device without a bus (loopback or virtual): tc"
	elif [ "$pick_mtu" -gt "$XK_XDP_MAX_MTU" ]; then
		pick_hook=tc pick_why="MTU $pick_mtu: native XDP refuses frames over about $XK_XDP_MAX_MTU bytes to a program without frags support"
	else
		pick_hook=xdp pick_why="a device on the $bus bus: native XDP, before the kernel builds an skb (tc if the driver refuses it)"
	fi
}
