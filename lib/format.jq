# lib/format.jq - human formatting of xdpkit JSON lines. Usable on its own:
#   xdp-stats eth0 --json | jq -rs -L /usr/local/share/xdpkit 'include "format"; xk_table'

# 1234567 -> "1,234,567"
def xk_group:
  tostring | if test("^[0-9]+$") then
    [explode | reverse | _nwise(3) | reverse | implode] | reverse | join(",")
  else . end;

# Bytes or bits with an SI unit: 1500000 -> "1.5 M"
def xk_si:
  if . >= 1e12 then "\(. / 1e11 | floor / 10) T"
  elif . >= 1e9 then "\(. / 1e8 | floor / 10) G"
  elif . >= 1e6 then "\(. / 1e5 | floor / 10) M"
  elif . >= 1e3 then "\(. / 1e2 | floor / 10) k"
  else "\(. | floor) " end;

# Right-align to width $w.
def xk_rpad($w): tostring | (" " * ([$w - length, 0] | max)) + .;
def xk_lpad($w): tostring | . + (" " * ([$w - length, 0] | max));

# Unix seconds -> "2026-11-26 22:09:21 UTC"
def xk_time: if . == null or . == 0 then "-" else floor | strftime("%Y-%m-%d %H:%M:%S UTC") end;

# The totals table from an array of "global" lines.
def xk_global_table:
  map(select(.type == "global"))
  | ("\("dir" | xk_lpad(8)) \("packets" | xk_rpad(16)) \("bytes" | xk_rpad(20))",
     (.[] | "\(.dir | xk_lpad(8)) \(.packets | xk_group | xk_rpad(16)) \(.bytes | xk_group | xk_rpad(20))"));

# One xdp-status line as text.
def xk_status_text:
  if .type == "foreign" then
    "\(.iface): XDP program \(.prog_id) (\(.name), \(.mode)) was not attached by xdpkit"
  else
    "\(.iface): \(.health), features \(.features // [] | if length == 0 then "none" else join(" ") end), attached \(.attached_at | xk_time)",
    "  xdp \(.xdp.mode // "-") prog \(.xdp.prog_id // "-")\(if .xdp.attached then "" else " (not attached)" end)"
      + (if .tc == null then ", no tc egress (ingress only)"
         else ", tc egress prog \(.tc.prog_id // "-")\(if .tc.attached then "" else " (not attached)" end)" end)
      + ", tag \(.object.ingress_tag // "-"), schema \(.schema // "-")",
    "  maps: \(.maps | map("\(.name) \(.entries // "?")/\(.max_entries // "?")") | join(", "))",
    (.problems[] | "  problem: \(.)")
  end;
