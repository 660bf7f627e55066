# lib/stats.jq - turn what helpers/xk-dump prints of an interface's maps into
# xdpkit's JSON lines (global, proto, flow, port, size, dns_stats,
# dns_latency, dns_rcode, dns_qtype), add rates, pick the
# top N, pair flows into conversations and hosts. Usable on its own; with
# jq -L pointing at this directory:
#
#   xk-dump --type global PIN/global | jq -c 'include "stats"; xk_line'
#   jq -cs 'include "stats"; xk_top(10; "bytes")' < flow-lines
#
# Rates: a line that xk-dump printed with --since carries "delta" (the
# increase of each counter) and "dt" (seconds between the two readings);
# xk_line turns them into pps and bps (bits/s), and for DNS into qps and
# rps (queries and responses a second).

# pps and bps from a delta {packets, bytes} over $dt seconds, and the
# interval they are measured over (the readings' own times, not the one
# asked for: reading a large table takes time).
def xk_rate($d; $dt):
  if $dt > 0 and $d != null then
    {pps: (($d.packets / $dt) * 10 | round / 10), bps: (($d.bytes * 8 / $dt) | round),
     interval: ($dt * 1000 | round / 1000)}
  else {} end;

# A latency bucket's bound in seconds: "100us" 0.0001, "2500ms" 2.5, "inf" "+Inf".
def xk_le_seconds:
  if . == "inf" then "+Inf"
  elif endswith("us") then rtrimstr("us") | tonumber / 1e6
  elif endswith("ms") then rtrimstr("ms") | tonumber / 1e3
  else rtrimstr("s") | tonumber end;

# One raw line in, zero or more contract lines out. $at: the attach time
# (Unix seconds) that every global line carries, so that a difference of two
# readings can tell a re-attach (a counter reset) from traffic.
def xk_line($at):
  if .type == "global" then
    (. + xk_rate(.delta; .dt) + (if $at != null then {attached_at: $at} else {} end)
     | del(.sizes, .delta, .dt)),
    (. as $g | ($g.sizes // {}) | to_entries | reduce .[] as $b ({cum: 0, out: []};
       .cum += $b.value
       | .out += [{type: "size", ts: $g.ts, iface: $g.iface, dir: $g.dir,
                   le: ($b.key | ltrimstr("le_") | if . == "inf" then "+Inf" else tonumber end),
                   packets: $b.value, cumulative: .cum}])
     | .out[])
  elif .type == "proto" and has("ingress") then
    . as $p
    | ("ingress", "egress") as $d
    | select($p[$d].packets > 0)
    | {type: "proto", ts: $p.ts, iface: $p.iface, dir: $d, proto: $p.proto,
       packets: $p[$d].packets, bytes: $p[$d].bytes} + xk_rate($p.delta[$d]; $p.dt)
  elif .type == "dns_stats" then
    . as $s
    | (del(.latency, .delta, .dt)
       + (if (.dt // 0) > 0 and .delta != null then
            {qps: (.delta.queries / .dt * 10 | round / 10), rps: (.delta.responses / .dt * 10 | round / 10),
             interval: (.dt * 1000 | round / 1000)}
          else {} end)),
      (($s.latency // {}) | to_entries | reduce .[] as $b ({cum: 0, out: []};
         .cum += $b.value
         | .out += [{type: "dns_latency", ts: $s.ts, iface: $s.iface, dir: $s.dir,
                     le: ($b.key | ltrimstr("le_") | xk_le_seconds), responses: $b.value,
                     cumulative: .cum}])
       | .out[])
  elif .type == "dns_rcode" or .type == "dns_qtype" then
    . as $p
    | ("ingress", "egress") as $d
    | select(($p[$d] // 0) > 0)
    | {type: $p.type, ts: $p.ts, iface: $p.iface, dir: $d}
      + if $p.type == "dns_rcode" then {rcode: $p.rcode, responses: $p[$d]}
        else {qtype: (if $p.qtype == "TYPE511" then "other" else $p.qtype end), queries: $p[$d]} end
  elif has("delta") then
    . + xk_rate(.delta; .dt) | del(.delta, .dt)
  else . end;
def xk_line: xk_line(null);

# Keep lines of one direction ("both": all).
def xk_dir($d): if $d == "both" then . else map(select(.dir == null or .dir == $d)) end;

# The first $n lines of each of the types flow, port, conversation and host,
# by field $by, largest first; other lines pass.
def xk_top($n; $by):
  # equal rates (an idle interface) go by the totals
  ({pps: "packets", bps: "bytes"}[$by] // $by) as $total
  | (map(select(.type | IN("flow", "port", "conversation", "host") | not))),
    (group_by(.type)[] | select(.[0].type | IN("flow", "port", "conversation", "host"))
     | sort_by([-(.[$by] // 0), -(.[$total] // 0)]) | .[:$n])
  | .[];

# Add up the counters and rates of a group of flow lines.
def xk_sum: {packets: (map(.packets) | add), bytes: (map(.bytes) | add)}
  + (if .[0] | has("pps") then {pps: (map(.pps) | add * 10 | round / 10), bps: (map(.bps) | add)} else {} end);

# The flow lines of an interface (an array) as conversations: both
# directions of one connection on one line, seen from the interface's side:
# "local" is the source of egress flows and the destination of ingress ones.
def xk_conversations:
  map(select(.type == "flow")
      | . as $f
      | (if .dir == "egress" then {local: .src, lport: .sport, remote: .dst, rport: .dport}
         else {local: .dst, lport: .dport, remote: .src, rport: .sport} end) as $e
      | $e + {proto, family, ts, iface, f: $f})
  | group_by([.proto, .local, .lport, .remote, .rport])
  | map(.[0] as $c
        | {type: "conversation", ts: $c.ts, iface: $c.iface, family: $c.family, proto: $c.proto,
           local: $c.local, lport: $c.lport, remote: $c.remote, rport: $c.rport}
          + (map(.f) | xk_sum)
          + {in: (map(.f | select(.dir == "ingress")) | if length > 0 then xk_sum else null end),
             out: (map(.f | select(.dir == "egress")) | if length > 0 then xk_sum else null end)})
  | .[];

# The flow lines of an interface (an array) by remote host: what each one
# sent ("in": ingress flows from it) and received ("out": egress flows to it).
def xk_hosts:
  map(select(.type == "flow") | {addr: (if .dir == "egress" then .dst else .src end), f: .})
  | group_by(.addr)
  | map({type: "host", ts: .[0].f.ts, iface: .[0].f.iface, addr: .[0].addr}
        + (map(.f) | xk_sum)
        + {in: (map(.f | select(.dir == "ingress")) | if length > 0 then xk_sum else null end),
           out: (map(.f | select(.dir == "egress")) | if length > 0 then xk_sum else null end)})
  | .[];
