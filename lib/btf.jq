# lib/btf.jq - write xdpkit map values from JSON, with the layout taken from
# BTF (the input: `bpftool -j btf dump ...`). The naming rules are those of
# bpf/xdpkit.h, the same that helpers/xk-dump prints with, so a line that
# xk-dump printed can be edited and written back.

# XK_F_COUNT -> "count": the name after its second underscore, lower case.
def xk_enumerator_name:
  split("_") | (if length > 2 then .[2:] else . end) | join("_") | ascii_downcase;

# The printed names of the enumerators of enum $name.
def xk_enum_names($name):
  [.types[] | select(.kind == "ENUM" and .name == $name) | .values[].name
   | xk_enumerator_name];

# Integer $v as $n bytes in hex, little-endian when $le == 1.
def xk_le_bytes($v; $n; $le):
  [range(0; $n) as $i | (($v / pow(2; 8 * $i)) | floor) % 256]
  | (if $le == 1 then . else reverse end)
  | map(. as $b | "0123456789abcdef" as $h
        | $h[($b / 16 | floor):($b / 16 | floor) + 1] + $h[$b % 16:($b % 16) + 1]);

def xk_types: reduce .types[] as $x ({}; .[$x.id | tostring] = $x);

# Follow typedefs and modifiers from type $id; the result {t, enum} is the
# base type and the enum its value is named by (its own, or enum xk_NAME for
# a typedef xk_NAME_t), if any.
def xk_member_type($T; $id):
  def walk($id; $td):
    $T[$id | tostring] as $x
    | if $x.kind == "TYPEDEF" or $x.kind == "CONST" or $x.kind == "VOLATILE" then
        walk($x.type_id;
             if $td == null and $x.kind == "TYPEDEF" and ($x.name | startswith("xk_"))
             then $x.name else $td end)
      else {t: $x, td: $td} end;
  walk($id; null)
  | .td as $td
  | .enum = (if .t.kind == "ENUM" then .t
             elif $td != null and ($td | endswith("_t")) then
               ($td[:-2] | sub("[0-9]+$"; "")) as $en
               | ([$T[] | select(.kind == "ENUM" and .name == $en)] | first)
             else null end);

# A JSON value as an integer: numbers as they are, enumerator names through
# $enum, a list of names as the sum of their (distinct) bits.
def xk_int_of($v; $enum):
  ($v | type) as $ty
  | if $ty == "number" then $v
    elif $ty == "null" then 0
    elif $ty == "boolean" then (if $v then 1 else 0 end)
    elif $enum == null then error("not a number: \($v)")
    elif $ty == "string" then
      ([$enum.values[] | select((.name | xk_enumerator_name) == $v) | .val] | first)
      // error("unknown name \($v | tojson) for enum \($enum.name)")
    elif $ty == "array" then reduce ($v | unique)[] as $x (0; . + xk_int_of($x; $enum))
    else error("cannot encode \($v | tojson)") end;

# The bytes of struct $type with members from object $v (missing members and
# those named _* are zero), as hex strings.
def xk_encode($type; $v; $le):
  xk_types as $T
  | ([$T[] | select(.kind == "STRUCT" and .name == $type)] | first
     // error("no struct \($type) in BTF")) as $s
  | reduce $s.members[] as $m ([range(0; $s.size)] | map("00");
      if ($m.name | startswith("_")) or ($v | has($m.name) | not) then .
      else xk_member_type($T; $m.type_id) as $mt
        | if $mt.t.kind == "INT" or $mt.t.kind == "ENUM" then
            ($m.bits_offset / 8) as $off
            | .[$off:$off + $mt.t.size] = xk_le_bytes(xk_int_of($v[$m.name]; $mt.enum); $mt.t.size; $le)
          else error("cannot encode member \($m.name) of \($type)") end
      end);
