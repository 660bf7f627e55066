# lib/snapshot.jq - rates between two snapshots of xdp-snapshot, that say
# when the two cannot be compared instead of going negative.
#
#   jq -nc -L lib --slurpfile a OLDER --slurpfile b NEWER 'include "snapshot"; xk_rates($a; $b)'
#
# One "rate" line per interface and direction (what "global"), per IP
# protocol ("proto"), per service port in both snapshots ("port") and per
# direction of DNS ("dns", with the dns feature): the increases (packets,
# bytes; DNS: queries, responses), the interval between the two readings
# (the snapshots' monotonic clocks, moved by when each line was read after
# its snapshot began), pps and bps (DNS: qps, rps). Where the two are not
# comparable every rate is null, "valid" false and "reason" says why:
#   reboot     the boot ids differ: the clocks and the counters restarted
#   reattach   the interface was attached again between them (attached_at
#              differs, or it was not attached in the older one): its
#              counters started from zero
#   new        a port not in the older snapshot (it may have been evicted,
#              or out of its top N): its increase is unknown (a protocol
#              not there before, in the same attach, counts from 0)
#   backwards  a counter is lower than before without either: a port
#              evicted from the full table and counted anew
#   order      the newer snapshot is not later than the older
include "format";

def xk_snap_head: map(select(.type == "snapshot"))[0];

# The key of a line: interface, namespace, and what it counts.
def xk_snap_key: [.iface, .netns, .dir, .proto, .port] | tojson;

def xk_rates($a; $b):
	($a | xk_snap_head) as $ha | ($b | xk_snap_head) as $hb
	| (if $ha.boot_id == $hb.boot_id then $hb.monotonic - $ha.monotonic else null end) as $dt
	| ($a | map(select(.type == "status" and .scope != "cgroup")) | map({key: ([.iface, .netns] | tojson), value: .}) | from_entries) as $sa
	| ($a | map(select(.type == "global" or .type == "proto" or .type == "port" or .type == "dns_stats"))
		| map({key: ("\(.type) " + xk_snap_key), value: .}) | from_entries) as $la
	| $b[] | select(.type == "global" or .type == "proto" or .type == "port" or .type == "dns_stats")
	| . as $l
	| ($la["\(.type) " + xk_snap_key]
	   # a protocol is never evicted: absent before, in the same attach, is 0
	   // (if .type == "proto" and $sa[[.iface, .netns] | tojson] != null
	       and any($a[]; .type == "global" and .iface == $l.iface and .netns == $l.netns and .dir == $l.dir)
	       then {packets: 0, bytes: 0, ts: ($a | map(select(.type == "global" and .iface == $l.iface and .netns == $l.netns))[0].ts)}
	       else null end)) as $o
	| ($b | map(select(.type == "status" and .iface == $l.iface and .netns == $l.netns)) | first) as $s
	| (if .type == "dns_stats" then ["queries", "responses"] else ["packets", "bytes"] end) as $f
	| (if $ha.boot_id != $hb.boot_id then "reboot"
	   elif ($sa[[.iface, .netns] | tojson].attached_at // null) != ($s.attached_at // null) then "reattach"
	   elif $o == null then "new"
	   elif any($f[]; $l[.] < $o[.]) then "backwards"
	   else null end) as $why
	# the monotonic interval between the headers, moved by when each line was
	# read after its header (wall clock, within one run: under a second)
	| (if $dt == null or $o == null then null else $dt + (($l.ts - $hb.ts) - ($o.ts - $ha.ts)) end) as $dt
	| ($why // (if $dt != null and $dt <= 0 then "order" else null end)) as $why
	| ($why == null and $dt != null and $dt > 0) as $ok
	| {type: "rate", what: (if .type == "dns_stats" then "dns" else .type end), iface, netns, dir}
	  + (if .type == "proto" or .type == "port" then {proto} else {} end)
	  + (if .type == "port" then {port} else {} end)
	  + {from: $ha.ts, to: $hb.ts, interval: $dt, valid: $ok, reason: $why}
	  + (if $ok then {($f[0]): ($l[$f[0]] - $o[$f[0]]), ($f[1]): ($l[$f[1]] - $o[$f[1]])}
	     else {($f[0]): null, ($f[1]): null} end)
	  + (if .type == "dns_stats" then
		{qps: (if $ok then ($l.queries - $o.queries) / $dt else null end),
		 rps: (if $ok then ($l.responses - $o.responses) / $dt else null end)}
	     else
		{pps: (if $ok then ($l.packets - $o.packets) / $dt else null end),
		 bps: (if $ok then ($l.bytes - $o.bytes) * 8 / $dt else null end)}
	     end)
	  + (if .type == "global" and $ok then
		{flow_evictions: ($l.flow_evictions - $o.flow_evictions), port_evictions: ($l.port_evictions - $o.port_evictions),
		 parse_errors: ($l.parse_errors - $o.parse_errors)}
	     else {} end);

# Rows (arrays) as aligned columns, two spaces apart.
def xk_aligned:
	. as $rows | ($rows | map(map(tostring | length)) | transpose | map(max)) as $w
	| $rows[] | [range(0; length) as $i | .[$i] | tostring | xk_lpad($w[$i])] | join("  ") | sub(" +$"; "");

# The rate lines as a table, one section per kind.
def xk_rates_text:
	def pps: if . < 100 then (. * 10 | round / 10 | tostring) else xk_si end;
	def rate: if .valid then [(.pps | pps), (.bps | xk_bits)] else ["-", .reason] end;
	def where: .iface + (if .netns != null then "@\(.netns)" else "" end);
	(if length == 0 then "no counters in common" else
	 "between \(.[0].from | xk_time) and \(.[0].to | xk_time)"
	   + (if .[0].interval != null then " (\(.[0].interval * 10 | round / 10) s)" else "" end) end),
	(map(select(.what == "global")) | if length > 0 then
		"", ([["iface", "dir", "pps", "rate"]] + map([where, .dir] + rate) | xk_aligned) else empty end),
	(map(select(.what == "proto")) | if length > 0 then
		"", ([["iface", "dir", "proto", "pps", "rate"]] + map([where, .dir, .proto] + rate) | xk_aligned) else empty end),
	(map(select(.what == "port")) | sort_by(-(.bps // -1)) | .[:10] | if length > 0 then
		"", ([["iface", "dir", "proto", "port", "pps", "rate"]] + map([where, .dir, .proto, .port] + rate) | xk_aligned)
	 else empty end),
	(map(select(.what == "dns")) | if length > 0 then
		"", ([["iface", "dir", "queries/s", "responses/s"]]
		     + map([where, .dir] + (if .valid then [(.qps * 10 | round / 10), (.rps * 10 | round / 10)] else ["-", .reason] end))
		     | xk_aligned)
	 else empty end);

# The flows of the newer snapshot with what they carried since the older:
# their increase when the older has the same flow (same first_seen, no
# reboot or re-attach between), else all of it (a flow that began, or began
# again after an eviction, in between). Flows of the older that the newer
# lacks (evicted, or out of its top N) are not there: their share is
# unknown. Lines as the flow lines, packets and bytes the increases.
def xk_flow_deltas($a; $b):
	($a | xk_snap_head) as $ha | ($b | xk_snap_head) as $hb
	| ($a | map(select(.type == "status" and .scope != "cgroup")) | map({key: ([.iface, .netns] | tojson), value: .attached_at}) | from_entries) as $ata
	| ($a | map(select(.type == "flow"))
		| map({key: ([.iface, .netns, .dir, .family, .proto, .src, .sport, .dst, .dport] | tojson), value: .}) | from_entries) as $fa
	| $b[] | select(.type == "flow") | . as $f
	| ($b | map(select(.type == "status" and .iface == $f.iface and .netns == $f.netns)) | first | .attached_at) as $at
	| $fa[[.iface, .netns, .dir, .family, .proto, .src, .sport, .dst, .dport] | tojson] as $o
	| if $ha.boot_id == $hb.boot_id and $ata[[.iface, .netns] | tojson] == $at
	     and $o != null and $o.first_seen == .first_seen and .packets >= $o.packets then
		.packets -= $o.packets | .bytes -= $o.bytes
	  else . end
	| select(.packets > 0);
