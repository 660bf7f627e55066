# lib/modules/iface.sh - the module "iface": the datapath of one interface
# (bpf/xdpkit.bpf.c: XDP or tc clsact on ingress, tc clsact on egress), its scope
# (net/NETNS/IFACE, lib/pins.sh), its features (the object's enum
# xk_feature), its tables, and how xdp-status reports it and xdp-detach
# takes it off. xdp-attach is its attach command.
#
# A module is a file here that defines xk_mod_NAME_dirs (its pin
# directories, one a line), xk_mod_NAME_status DIR (one JSON status line)
# and xk_mod_NAME_detach DIR (take it off, then its pins); xdp-status and
# xdp-detach --all iterate over every module (lib/xdpkit.sh: xk_modules).
# Sourced by lib/xdpkit.sh, after the rest of the library.
# shellcheck disable=SC2154 # xk_is_table and the like come from lib/maps.sh

# Every pin directory of the module.
xk_mod_iface_dirs() { xk_all_pindirs; }

# The feature a table (or ring buffer) serves: its size is the default while
# that feature is on, the smallest (one set, one page) while it is off.
xk_mod_iface_table_feature() { # TABLE
	case $1 in
	flows | ports) echo stats ;;
	packets) echo capture ;;
	dns_pending | dns_events) echo dns ;;
	*) echo "$1" ;;
	esac
}

# A JSON array about the maps pinned in DIR: type, entries, size, memory
# (the kernel's figure: every CPU's copy). A table's entries are the slots
# in use on all CPUs, counted by the helper (xk-dump --count: no folding,
# nothing printed per slot), out of its capacity (slots times CPUs).
maps_status() { # DIR
	local p d l lays tables
	d=$1
	set --
	for p in "$d"/*; do
		case ${p##*/} in xdpkit_* | _*) continue ;; esac
		[ -e "$p" ] && set -- "$@" "$p"
	done
	[ $# -gt 0 ] || { echo '[]'; return 0; }
	# two jq and one xk-dump for all the maps (not five or six processes a
	# map: xdp-status, and so each xdp-prom scrape, spent most of its time
	# starting them); a pin whose layout cannot be read is read alone
	lays=$(xk_layouts "$@" 2>/dev/null) ||
		lays=$(for p in "$@"; do xk_layouts "$p" 2>/dev/null || :; done)
	tables=" $(printf '%s\n' "$lays" | jq -r "select($xk_is_table) | .map" 2>/dev/null | tr '\n' ' ')"
	{
		printf '%s\n' "$lays" | sed -n 's/^{/L - {/p'
		for p in "$@"; do
			l=${p##*/}
			case $tables in *" $l "*)
				xk_dump --count "$p" 2>/dev/null | sed "s/^/C $l /" || : ;;
			esac
			printf 'I %s ' "$l"
			bpftool -j map show pinned "$p" 2>/dev/null || echo '{}'
		done
	} | jq -Rsc "
		[split(\"\\n\")[] | select(length > 0)
		 | capture(\"^(?<t>[LCI]) (?<n>[^ ]+) (?<j>.*)\$\") | .j = (.j | try fromjson catch null)]
		| (map(select(.t == \"L\") | .j // empty) | INDEX(.map)) as \$l
		| (map(select(.t == \"C\" and .j != null) | .j + {pin: .n}) | INDEX(.pin)) as \$c
		| [.[] | select(.t == \"I\") | ((.j // {}) + {pin: .n}) as \$i | \$l[\$i.pin] as \$lay
		   | ((\$lay // {}) | if $xk_is_table then $xk_table_info | split(\" \")[1] | tonumber
		                      else null end) as \$ways
		   | {name: \$i.pin, map_type: \$i.type, max_entries: \$i.max_entries,
		      slots: (if \$ways != null and \$i.max_entries != null then \$i.max_entries * \$ways else null end),
		      capacity: (\$c[\$i.pin].capacity // null),
		      entries: (if \$ways != null then \$c[\$i.pin].entries
		                elif (\$i.type // \"\" | test(\"array\")) then \$i.max_entries else null end),
		      memory: (\$i.bytes_memlock // null),
		      readable: (\$lay != null and (\$lay.value != null or \$i.type == \"ringbuf\"))}]"
}

# The capture of DIR (xdp-capture): {running, pid, deadline, events, lost,
# capped}, or null where the pins have no capture maps. running: a reader
# keeps its deadline ahead of the clock now.
capture_status() { # DIR
	{ [ -e "$1/capture" ] && [ -e "$1/capture_stats" ]; } || { echo null; return 0; }
	{
		xk_dump "$1/capture" 2>/dev/null | jq -c '{c: .}'
		xk_dump "$1/capture_stats" 2>/dev/null | jq -c '{s: .}'
	} | jq -sc '(map(.c // empty) | first) as $c | map(.s // empty) as $s
	  | {running: ($c != null and $c.deadline != null and $c.deadline > now),
	     pid: (if $c != null and $c.pid != 0 then $c.pid else null end),
	     deadline: ($c.deadline // null),
	     events: ([$s[].events] | add // 0), lost: ([$s[].lost] | add // 0),
	     capped: ([$s[].capped] | add // 0)}'
}

# The DNS feature of DIR: {on, running, pid, deadline, queries, responses,
# answered, timeouts, malformed, events, lost}, or null where the pins have
# no DNS maps. running: an xdp-dns keeps its deadline ahead of the clock.
dns_status() { # DIR FEATURES
	{ [ -e "$1/dns" ] && [ -e "$1/dns_stats" ]; } || { echo null; return 0; }
	{
		xk_dump "$1/dns" 2>/dev/null | jq -c '{c: .}'
		xk_dump "$1/dns_stats" 2>/dev/null | jq -c '{s: .}'
	} | jq -sc --argjson f "$2" '(map(.c // empty) | first) as $c | map(.s // empty) as $s
	  | def sum($k): [$s[][$k]] | add // 0;
	  {on: (($f // []) | index("dns") != null),
	   running: ($c != null and $c.deadline != null and $c.deadline > now),
	   pid: (if $c != null and $c.pid != 0 then $c.pid else null end),
	   deadline: ($c.deadline // null),
	   queries: sum("queries"), responses: sum("responses"), answered: sum("answered"),
	   timeouts: sum("timeouts"), malformed: sum("malformed"),
	   events: sum("events"), lost: sum("lost")}'
}

# One JSON object about a pinned program, or null.
prog_status() {
	[ -e "$1" ] || { echo null; return 0; }
	bpftool -j prog show pinned "$1" 2>/dev/null |
		jq -c '{id, tag, loaded_at}' || echo null
}

xk_mod_iface_status() { # PINDIR
	local d i cfg present maps p ing egr tcin ifindex nsgone interrupted ours moved tcin_id before cap dns
	d=$1
	i=$(xk_pindir_iface "$d")
	nsgone=false
	xk_enter_ns "$(xk_pindir_ns "$d")" || nsgone=true
	# an interrupted first attach has its config and programs in _new only
	cfg=$(xk_dump "$d/config" 2>/dev/null) || cfg=$(xk_dump "$d/_new/map/config" 2>/dev/null) || cfg=null
	present=false ifindex=null
	xdp_mode="" xdp_id="" xdp_name="" tc_id="" tc_others=0 tcin_id=""
	before='{"ingress": [], "egress": [], "unplaced": []}'
	if [ "$nsgone" = false ] && xk_iface_exists "$i"; then
		present=true
		# host-wide: read once per command
		[ -n "${XK_TCX_UNPLACED:-}" ] || XK_TCX_UNPLACED=$(xk_tcx_unplaced)
		[ -n "$XK_TCX_UNPLACED" ] || XK_TCX_UNPLACED='[]'
		ifindex=$(xk_ifindex "$i")
		xk_tc_state "$i" ingress
		tcin_id=$tc_id
		xk_xdp_state "$i"
		xk_tc_state "$i"
		before=$(jq -nc --argjson i "$(xk_tc_before "$i" ingress)" --argjson e "$(xk_tc_before "$i" egress)" \
			--argjson u "$XK_TCX_UNPLACED" '{ingress: $i, egress: $e, unplaced: $u}')
	fi
	maps=$(maps_status "$d")
	p=$d
	[ -e "$d/xdpkit_ingress" ] || [ ! -e "$d/_new/prog/xdpkit_ingress" ] || p=$d/_new/prog
	ing=$(prog_status "$p/xdpkit_ingress")
	egr=$(prog_status "$p/xdpkit_egress")
	tcin=$(prog_status "$p/xdpkit_tc_in")
	interrupted=false
	for p in "$d"/_new*; do [ ! -d "$p" ] || interrupted=true; done
	# gone from here: moved to another namespace, with its programs?
	moved=""
	[ "$present" = true ] || moved=$(xk_find_ours "$d" | head -n 1)
	ours=$(xk_our_prog_ids "$d" | jq -R 'tonumber? // empty' | jq -sc .)
	cap=$(capture_status "$d")
	dns=$(dns_status "$d" "$(printf '%s' "$cfg" | jq -c '.features // null')")
	jq -nc --argjson cap "$cap" --argjson dns "$dns"  --arg i "$i" --argjson cfg "$cfg" --argjson present "$present" \
		--argjson ifindex "$ifindex" --arg pins "$d" --arg root "$XK_ROOT" \
		--arg ns "$XK_NS" --arg nsname "$XK_NSNAME" --argjson nsgone "$nsgone" \
		--arg xdp_id "$xdp_id" --arg xdp_name "$xdp_name" --arg xdp_mode "$xdp_mode" \
		--arg tc_id "$tc_id" --argjson tc_others "${tc_others:-0}" --argjson ours "$ours" \
		--arg tcin_id "$tcin_id" --argjson tcin "$tcin" --argjson before "$before" \
		--argjson maps "$maps" --argjson interrupted "$interrupted" --arg moved "$moved" \
		--argjson ing "$ing" --argjson egr "$egr" --arg version "$(xk_version)" '
	  ($xdp_id | tonumber? // null) as $xid | ($tc_id | tonumber? // null) as $tid
	  | ($tcin_id | tonumber? // null) as $iid
	  | ($cfg.flags // []) as $flags | ($cfg.hook // "xdp") as $hook
	  | {type: "status", ts: (now * 1e6 | floor / 1e6), iface: $i, version: $version,
	     netns: (if $nsname == "" then null else $nsname end), netns_id: ($ns | tonumber),
	     pins: $pins, present: $present, ifindex: $ifindex,
	     features: ($cfg.features // null),
	     attached_at: ($cfg.attached_at // null), changed_at: ($cfg.changed_at // null),
	     hook: $hook,
	     xdp: (if $hook == "tc" then null else
	           {mode: ($cfg.xdp_mode // null), prog_id: ($ing.id // null),
	            attached: ($xid != null and ($ours | index($xid)) != null)} end),
	     tc_ingress: (if $hook != "tc" then null else
	          {prog_id: ($tcin.id // null),
	           attached: ($iid != null and ($ours | index($iid)) != null)} end),
	     before: {ingress: ((if $hook == "tc" and $xid != null and ($ours | index($xid)) == null then
	                          [{hook: "xdp", mode: $xdp_mode, prog_id: $xid, name: $xdp_name}] else [] end)
	                        + (if $hook == "tc" then $before.ingress else [] end)),
	              egress: (if ($flags | index("ingress_only")) then [] else $before.egress end),
	              unplaced: $before.unplaced},
	     tc: (if ($flags | index("ingress_only")) then null else
	          {prog_id: ($egr.id // null),
	           attached: ($tid != null and ($ours | index($tid)) != null)} end),
	     object: {ingress_tag: (if $hook == "tc" then $tcin.tag else $ing.tag end),
	             egress_tag: $egr.tag, loaded_at: $ing.loaded_at},
	     capture: $cap,
	     dns: $dns,
	     maps: $maps, memory: ([$maps[].memory // 0] | add // 0)}
	  | (if .hook == "tc" then .tc_ingress.attached else .xdp.attached end) as $in_att
	  | .problems = [
	      (if $cfg == null then "config map unreadable" else empty end),
	      (if $nsgone then "its network namespace (net:\($ns)) is gone"
	       elif $present | not then "interface \($i) does not exist"
	       elif $cfg != null and $cfg.ifindex != $ifindex and $in_att == false then
	         "pins belong to an earlier \($i) (ifindex \($cfg.ifindex), now \($ifindex))"
	       else empty end),
	      (if $moved != "" then ($moved | split(" ")) as $m
	         | "its XDP program is attached to \($m[1]) in \(if $m[0] == "-" then "this namespace" else $m[0] | ltrimstr("/run/netns/") end): moved there? xdp-detach \($i) takes it off"
	       else empty end),
	      (if $interrupted then "an attach was interrupted: xdp-attach \($i) finishes it, xdp-detach \($i) removes it" else empty end),
	      (if ($pins | startswith($root + "/net/") | not) then "pins in the layout before 0.3: xdp-attach \($i) moves them" else empty end),
	      (if $present and .xdp != null and (.xdp.attached | not) then
	         (if $xid != null then "XDP program \($xid) (\($xdp_name)) is not xdpkit'"'"'s"
	          else "XDP program not attached" end) else empty end),
	      (if $present and .tc_ingress != null and (.tc_ingress.attached | not) then "tc ingress filter not attached" else empty end),
	      (if $present and .tc != null and (.tc.attached | not) then "tc egress filter not attached" else empty end),
	      (.maps[] | select(.readable | not) | "map \(.name) unreadable")]
	  | .health = (if $nsgone or ($present | not)
	                 or ($cfg != null and $cfg.ifindex != $ifindex and $in_att == false) then "stale"
	               elif (.problems | length) > 0 then "degraded" else "ok" end)'
}

# Take everything of the pin directory $dir off $iface, then the pins.
detach_all() {
	local cfg flags here f i failed
	flags='[]' failed=0 here=0
	# an interrupted first attach wrote its config only in _new
	if cfg=$(xk_config "$dir" 2>/dev/null) || cfg=$(xk_config "$dir/_new/map" 2>/dev/null); then
		flags=$(printf '%s' "$cfg" | jq -c .flags)
	else
		cfg=""
	fi
	if xk_iface_exists "$iface"; then
		xk_unattach "$iface" "$dir" || failed=1
		xk_step unattached
		# ifindex 0: an attach killed before it wrote config; the interface's
		if [ -z "$cfg" ] || [ "$(printf '%s' "$cfg" | jq .ifindex)" = "$(xk_ifindex "$iface")" ] ||
			[ "$(printf '%s' "$cfg" | jq .ifindex)" = 0 ]; then
			here=1
		else
			warn "$iface: the pins belong to an earlier $iface; removing them"
		fi
	fi
	if [ "$here" -eq 1 ] && printf '%s' "$flags" | jq -e 'index("clsact_ours")' >/dev/null &&
		xk_has_clsact "$iface"; then
		if [ -z "$(xk_ns tc filter show dev "$iface" ingress)$(xk_ns tc filter show dev "$iface" egress)" ]; then
			xk_ns tc qdisc del dev "$iface" clsact || { warn "$iface: removing the clsact qdisc failed"; failed=1; }
		else
			warn "$iface: keeping the clsact qdisc: other filters use it"
		fi
	fi
	xk_step clsact-off
	# moved to another namespace since: its programs go with it
	xk_find_ours "$dir" | unattach_found
	[ "$failed" -eq 0 ] || die "$EX_FAIL" "$iface: not everything could be removed; the pins stay ($dir)"
	rm -rf "$dir" || die "$EX_FAIL" "$dir: cannot remove the pins"
	xk_prune "$dir"
	rm -f "$XK_RUNDIR/$(xk_lockname "$iface").object" "$XK_RUNDIR/$(xk_lockname "$iface").readers"
	warn "$iface: detached${XK_NSNAME:+ (netns $XK_NSNAME)}"
}

# Lines "NSFILE IFACE" from xk_find_ours: take our programs off there.
unattach_found() (
	while read -r f i; do
		warn "$iface: its XDP program is attached to $i in ${f#/run/netns/}: removing it there"
		# shellcheck disable=SC2030 # in this subshell only, on purpose
		if [ "$f" = - ]; then XK_NSFILE=""; else XK_NSFILE=$f; fi
		xk_unattach "$i" "$dir" || :
	done
)

# Take the interface of one pin directory off (xdp-detach --all runs it in
# a subshell of its own per directory, so that one failing does not stop
# the others).
xk_mod_iface_detach() { # DIR
	iface=$(xk_pindir_iface "$1")
	xk_valid_iface "$iface" || { warn "$1: not an interface's pins; left alone"; return 0; }
	xk_enter_ns "$(xk_pindir_ns "$1")" ||
		warn "$iface: its network namespace (net:$XK_NS) is gone; removing its pins"
	xk_lock "$(xk_lockname "$iface")" "$iface"
	dir=$1
	# shellcheck disable=SC2031 # set by xk_enter_ns, in this shell
	if [ -n "$XK_NSFILE" ] || [ "$XK_NS" = "$XK_OWN_NS" ]; then
		detach_all
	else
		xk_find_ours "$dir" | unattach_found
		rm -rf "$dir" || die "$EX_FAIL" "$dir: cannot remove the pins"
		xk_prune "$dir"
		warn "$iface: detached (stale)"
	fi
}
