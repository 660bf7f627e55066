# lib/btf.jq - write xdpkit map values from JSON, with the layout taken from
# BTF (the input: `bpftool -j btf dump ...`). Enumerators are written by
# the names helpers/xk-dump prints them with ($enums: `xk-dump --enums PIN`
# as {ENUM: {NAME: VALUE}}; the naming rule lives in the helper alone), so
# a line that xk-dump printed can be edited and written back.

# Integer $v as $n bytes in hex, little-endian when $le == 1.
def xk_le_bytes($v; $n; $le):
  [range(0; $n) as $i | (($v / pow(2; 8 * $i)) | floor) % 256]
  | (if $le == 1 then . else reverse end)
  | map(. as $b | "0123456789abcdef" as $h
        | $h[($b / 16 | floor):($b / 16 | floor) + 1] + $h[$b % 16:($b % 16) + 1]);

def xk_types: reduce .types[] as $x ({}; .[$x.id | tostring] = $x);

def xk_is_enum: .kind == "ENUM" or .kind == "ENUM64";

# Follow typedefs and modifiers from type $id; the result {t, td, enum} is
# the base type, the outermost xk_ typedef met, and the enum its value is
# named by (its own, or enum xk_NAME, or else xk_UPPER-CASED NAME, for a
# typedef xk_NAME_t or xk_NAMEbits_t), if any.
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
  | .enum = (if .t | xk_is_enum then .t
             elif $td != null and ($td | endswith("_t")) then
               ($td[:-2] | sub("[0-9]+$"; "")) as $en
               | ("xk_" + ($en[3:] | ascii_upcase)) as $up  # xk_qtype_t: enum xk_QTYPE
               | ([$T[] | select(xk_is_enum and (.name == $en or .name == $up))] | first)
             else null end);

# A JSON value as an integer: numbers as they are, enumerator names through
# enum $enum's names in $enums, a list of names as the sum of their
# (distinct) bits.
def xk_int_of($v; $enum; $enums):
  ($v | type) as $ty
  | if $ty == "number" then $v
    elif $ty == "null" then 0
    elif $ty == "boolean" then (if $v then 1 else 0 end)
    elif $enum == null then error("not a number: \($v)")
    elif $ty == "string" then
      ($enums[$enum.name][$v]) // error("unknown name \($v | tojson) for enum \($enum.name)")
    elif $ty == "array" then reduce ($v | unique)[] as $x (0; . + xk_int_of($x; $enum; $enums))
    else error("cannot encode \($v | tojson)") end;

# Bytes (integers 0-255) as hex strings.
def xk_hex: map(. as $b | "0123456789abcdef" as $h
                | $h[($b / 16 | floor):($b / 16 | floor) + 1] + $h[$b % 16:($b % 16) + 1]);

# An address string as 16 bytes: IPv6, or IPv4 stored v4-mapped
# (::ffff:a.b.c.d), as xk_addr_t holds it.
def xk_addr_bytes($s):
  def v4: split(".") | map(tonumber) | if length == 4 and all(.[]; . >= 0 and . <= 255) then .
          else error("not an address: \($s | tojson)") end;
  def hex2: ascii_downcase | explode
            | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))
            | [(. / 256 | floor), . % 256];
  def groups: if . == "" then [] else split(":") | map(if test("\\.") then v4 else hex2 end) | add end;
  if ($s | type) != "string" or ($s | test("^[0-9A-Fa-f:.]{2,45}$") | not) then
    error("not an address: \($s | tojson)")
  elif $s | test("^[0-9.]+$") then [range(10) | 0] + [255, 255] + ($s | v4)
  else
    ($s | split("::")) as $p
    | if ($p | length) > 2 then error("not an address: \($s | tojson)") else . end
    | ($p[0] | groups) as $h
    | (if ($p | length) == 2 then $p[1] | groups else [] end) as $t
    | (if ($p | length) == 2 then [range(16 - ($h | length) - ($t | length)) | 0] else [] end) as $z
    | ($h + $z + $t)
    | if length == 16 and all(.[]; . >= 0 and . <= 255) then .
      else error("not an address: \($s | tojson)") end
  end;

# The bytes of a value $v of type $id (a struct, an array, an integer or an
# enum) as integers, laid out as BTF says: struct members by name (missing
# ones and those named _* are zero), arrays from JSON arrays (a char array
# from a string), xk_addr_t from an address string, xk_be16_t big-endian.
# Bitfields are refused.
def xk_encode_type($T; $id; $v; $le; $enums):
  xk_member_type($T; $id) as $mt
  | $mt.t as $t
  | if $t.kind == "INT" or ($t | xk_is_enum) then
      xk_le_bytes(xk_int_of($v; $mt.enum; $enums); $t.size; if $mt.td == "xk_be16_t" then 0 else $le end)
      | map(explode | map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1])
    elif $t.kind == "ARRAY" then
      xk_member_type($T; $t.type_id).t as $e
      | if $mt.td == "xk_addr_t" then xk_addr_bytes($v)
        elif $e.kind == "INT" and $e.size == 1 and ($v | type) == "string" then
          ($v | explode) as $c
          | if ($c | length) > $t.nr_elems then error("\($v | tojson): longer than \($t.nr_elems) bytes")
            else $c + [range($t.nr_elems - ($c | length)) | 0] end
        elif ($v | type) == "array" then
          if ($v | length) > $t.nr_elems then error("more than \($t.nr_elems) elements")
          else [range(0; $t.nr_elems) as $i | xk_encode_type($T; $t.type_id; $v[$i]; $le; $enums)[]] end
        elif $v == null then [range($t.nr_elems * $e.size) | 0]
        else error("cannot encode \($v | tojson) as an array") end
    elif $t.kind == "STRUCT" then
      reduce $t.members[] as $m ([range(0; $t.size) | 0];
        if ($m.name | startswith("_")) or (($v // {}) | has($m.name) | not) then .
        elif ($m.bitfield_size // 0) != 0 then error("cannot encode bitfield \($m.name)")
        else ($m.bits_offset / 8) as $off
          | xk_encode_type($T; $m.type_id; $v[$m.name]; $le; $enums) as $b
          | .[$off:$off + ($b | length)] = $b
        end)
    else error("cannot encode a \($t.kind)") end;

# The bytes of struct $type with members from object $v, as hex strings.
def xk_encode($type; $v; $le; $enums):
  xk_types as $T
  | ([$T[] | select(.kind == "STRUCT" and .name == $type)] | first
     // error("no struct \($type) in BTF")) as $s
  | xk_encode_type($T; $s.id; $v; $le; $enums) | xk_hex;
