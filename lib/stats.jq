# lib/stats.jq - turn what helpers/xk-dump prints of an interface's maps into
# xdpkit's JSON lines (global, proto, flow, port, size), add rates, pick the
# top N. Usable on its own; with jq -L pointing at this directory:
#
#   xk-dump --type global PIN/global | jq -c 'include "stats"; xk_line'
#   jq -cs 'include "stats"; xk_top(10; "bytes")' < flow-lines
#
# Rates: xk_rates($prev; $dt) adds pps and bps (bits/s) to every line of the
# input array that has a match in $prev (an earlier snapshot, same shape).

# One raw line in, zero or more contract lines out.
def xk_line:
  if .type == "global" then
    (del(.sizes)),
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
       packets: $p[$d].packets, bytes: $p[$d].bytes}
  else . end;

# The identity of a line: what stays the same between snapshots.
def xk_id:
  if .type == "global" then [.type, .dir]
  elif .type == "proto" then [.type, .dir, .proto]
  elif .type == "flow" then [.type, .dir, .proto, .src, .dst, .sport, .dport]
  elif .type == "port" then [.type, .dir, .proto, .port]
  elif .type == "size" then [.type, .dir, .le]
  else [.type] end | tojson;

def xk_rates($prev; $dt):
  (reduce ($prev[] | select(has("packets"))) as $l ({}; .[$l | xk_id] = $l)) as $p
  | map(if has("packets") and has("bytes") then
          ($p[xk_id] // {packets: 0, bytes: 0}) as $o
          | .pps = (((.packets - $o.packets) / $dt) * 10 | round / 10)
          | .bps = (((.bytes - $o.bytes) * 8 / $dt) | round)
        else . end);

# Keep lines of one direction ("both": all).
def xk_dir($d): if $d == "both" then . else map(select(.dir == null or .dir == $d)) end;

# The first $n lines of each of the types flow and port, by field $by,
# largest first; other lines pass.
def xk_top($n; $by):
  (map(select(.type != "flow" and .type != "port"))),
  (map(select(.type == "flow")) | sort_by(-.[$by]) | .[:$n]),
  (map(select(.type == "port")) | sort_by(-.[$by]) | .[:$n])
  | .[];
