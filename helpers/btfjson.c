// SPDX-License-Identifier: GPL-2.0
/* btfjson.c - see btfjson.h. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <string.h>
#include <time.h>

#include "btfjson.h"

/*
 * Strip typedefs and modifiers. xk gets the outermost xk_ typedef met on the
 * way, or is empty when there is none.
 */
#define XK_NAME_MAX 64
static const struct btf_type *resolve(const struct btf *btf, __u32 id,
				      char *xk, __u32 *out_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (xk)
		xk[0] = '\0';
	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		if (btf_is_typedef(t) && xk && !xk[0]) {
			const char *n = btf__name_by_offset(btf, t->name_off);
			size_t len = n ? strlen(n) : 0;

			if (len > 5 && len < XK_NAME_MAX && strncmp(n, "xk_", 3) == 0 &&
			    strcmp(n + len - 2, "_t") == 0)
				memcpy(xk, n, len + 1);
		}
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}

/* Is xk the typedef base_t, or a width variant of it (base8_t, base16_t)? */
static bool xk_is(const char *xk, const char *base)
{
	size_t n = strlen(base);

	if (!xk || strncmp(xk, base, n) != 0)
		return false;
	xk += n;
	while (*xk >= '0' && *xk <= '9')
		xk++;
	return strcmp(xk, "_t") == 0;
}

/* "xk_dir8_t" -> "dir": NAME without its width digits. */
static void xk_base_name(const char *xk, char *out, size_t size)
{
	size_t e = strlen(xk) - 2;

	while (e > 3 && xk[e - 1] >= '0' && xk[e - 1] <= '9')
		e--;
	snprintf(out, size, "%.*s", (int)(e - 3), xk + 3);
}

int bj_init(struct bj *bj, const struct btf *btf, FILE *out)
{
	struct timespec mono, real;

	if (clock_gettime(CLOCK_MONOTONIC, &mono) ||
	    clock_gettime(CLOCK_REALTIME, &real))
		return -1;
	bj->btf = btf;
	bj->out = out;
	bj->tail = NULL;
	bj->tail_len = 0;
	bj->mono_to_real = (double)(real.tv_sec - mono.tv_sec) +
			   (double)(real.tv_nsec - mono.tv_nsec) / 1e9;
	return 0;
}

static unsigned long long get_uint(const void *p, unsigned int size)
{
	switch (size) {
	case 1: return *(const __u8 *)p;
	case 2: { __u16 v; memcpy(&v, p, 2); return v; }
	case 4: { __u32 v; memcpy(&v, p, 4); return v; }
	case 8: { __u64 v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

static long long get_sint(const void *p, unsigned int size)
{
	switch (size) {
	case 1: return *(const __s8 *)p;
	case 2: { __s16 v; memcpy(&v, p, 2); return v; }
	case 4: { __s32 v; memcpy(&v, p, 4); return v; }
	case 8: { __s64 v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

static void put_uint(void *p, unsigned int size, unsigned long long v)
{
	switch (size) {
	case 1: *(__u8 *)p = (__u8)v; break;
	case 2: { __u16 x = (__u16)v; memcpy(p, &x, 2); break; }
	case 4: { __u32 x = (__u32)v; memcpy(p, &x, 4); break; }
	case 8: { __u64 x = v; memcpy(p, &x, 8); break; }
	}
}

void bj_string(FILE *out, const char *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/*
 * Enumerators are printed by name: the enumerator's name less the prefix
 * (up to an underscore) that all of the enum's enumerators share, in lower
 * case: XK_DIR_INGRESS and XK_DIR_EGRESS are "ingress" and "egress",
 * XK_DNS_RCODE_NXDOMAIN "nxdomain". An enum of one enumerator drops "XK_"
 * and the word after it (XK_F_COUNT alone is "count"). This is the one
 * place the rule is written: the shell gets the names from xk-dump --enums.
 * ENUM64 enumerators are named the same way.
 */
static const char *enum_name(const struct btf *btf, const struct btf_type *t, int i)
{
	__u32 off = btf_is_enum64(t) ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;
	const char *n = btf__name_by_offset(btf, off);

	return n ? n : "";
}

static unsigned long long enum_val(const struct btf_type *t, int i)
{
	if (btf_is_enum64(t))
		return btf_enum64_value(&btf_enum64(t)[i]);
	return (__u32)btf_enum(t)[i].val;
}

static size_t enum_prefix(const struct btf *btf, const struct btf_type *t)
{
	const char *first = enum_name(btf, t, 0);
	size_t common = strlen(first), k;
	int i, n = btf_vlen(t), under = 0;

	if (n == 1) {
		for (k = 0; first[k] && under < 2; k++)
			under += first[k] == '_';
		return under == 2 && first[k] ? k : 0;
	}
	for (i = 1; i < n; i++) {
		const char *s = enum_name(btf, t, i);

		for (k = 0; k < common && s[k] == first[k]; k++)
			;
		common = k;
	}
	while (common > 0 && first[common - 1] != '_')
		common--;
	for (i = 0; i < n; i++) /* nothing left of a name: keep them whole */
		if (strlen(enum_name(btf, t, i)) <= common)
			return 0;
	return common;
}

/* enum xk_QTYPE: upper case after xk_ (dig's names: "AAAA", "NXDOMAIN"). */
static bool enum_upper(const struct btf *btf, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(btf, t->name_off);

	if (!n || strncmp(n, "xk_", 3) != 0 || !n[3])
		return false;
	for (n += 3; *n; n++)
		if (*n >= 'a' && *n <= 'z')
			return false;
	return true;
}

/* What an upper-case enum calls a value it has no name for, before the
 * number: its enumerators' prefix less XK_ ("TYPE" for XK_TYPE_A ...);
 * "" for other enums (a bare number). */
static void enum_unknown(const struct btf *btf, const struct btf_type *t, char *buf,
			 size_t size)
{
	size_t k = enum_prefix(btf, t);
	const char *n = btf_vlen(t) ? enum_name(btf, t, 0) : "";

	buf[0] = '\0';
	if (!enum_upper(btf, t) || k < 5 || strncmp(n, "XK_", 3) != 0)
		return;
	snprintf(buf, size, "%.*s", (int)(k - 4), n + 3);
}

int bj_enum_name(const struct btf *btf, const struct btf_type *t, int i,
		 char *buf, size_t size)
{
	const char *p = enum_name(btf, t, i) + enum_prefix(btf, t);
	bool upper = enum_upper(btf, t);
	size_t k;

	if (!size)
		return -1;
	for (k = 0; p[k] && k + 1 < size; k++)
		buf[k] = (!upper && p[k] >= 'A' && p[k] <= 'Z') ? p[k] - 'A' + 'a' : p[k];
	buf[k] = '\0';
	return p[k] ? -1 : 0;
}

static void print_enumerator(const struct bj *bj, const struct btf_type *t, int i)
{
	char name[128];

	bj_enum_name(bj->btf, t, i, name, sizeof(name));
	bj_string(bj->out, name, strlen(name));
}

bool bj_enum_is_flags(const struct btf_type *t)
{
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		unsigned long long v = enum_val(t, i);

		if (v == 0 || (v & (v - 1)))
			return false;
	}
	return btf_vlen(t) > 0;
}

static int print_enum(const struct bj *bj, const struct btf_type *t,
		      unsigned long long v)
{
	int i, n = 0;

	if (bj_enum_is_flags(t)) {
		fputc('[', bj->out);
		for (i = 0; i < btf_vlen(t); i++) {
			if (!(v & enum_val(t, i)))
				continue;
			if (n++)
				fputc(',', bj->out);
			print_enumerator(bj, t, i);
			v &= ~enum_val(t, i);
		}
		if (v) /* bits this BTF has no name for */
			fprintf(bj->out, "%s%llu", n ? "," : "", v);
		fputc(']', bj->out);
		return 0;
	}
	for (i = 0; i < btf_vlen(t); i++) {
		if (enum_val(t, i) == v) {
			print_enumerator(bj, t, i);
			return 0;
		}
	}
	{
		char unk[64];

		enum_unknown(bj->btf, t, unk, sizeof(unk));
		if (unk[0])
			fprintf(bj->out, "\"%s%llu\"", unk, v);
		else
			fprintf(bj->out, "%llu", v);
	}
	return 0;
}

/* "xk_dir_t" (or "xk_dir8_t") -> enum "xk_dir", if the BTF has it. */
static const struct btf_type *enum_for_typedef(const struct btf *btf,
					       const char *xk)
{
	char base[XK_NAME_MAX], name[XK_NAME_MAX + 3];
	__s32 id;

	xk_base_name(xk, base, sizeof(base));
	snprintf(name, sizeof(name), "xk_%s", base);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	if (id <= 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	if (id <= 0) { /* xk_qtype_t: enum xk_QTYPE */
		char *c;

		for (c = name + 3; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	}
	return id > 0 ? btf__type_by_id(btf, id) : NULL;
}

static int print_proto(const struct bj *bj, const void *data, unsigned long long p)
{
	(void)data;
	switch (p) {
	case 1: fputs("\"icmp\"", bj->out); break;
	case 6: fputs("\"tcp\"", bj->out); break;
	case 17: fputs("\"udp\"", bj->out); break;
	case 58: fputs("\"icmpv6\"", bj->out); break;
	default: fprintf(bj->out, "%llu", p);
	}
	return 0;
}

static int print_tcpflags(const struct bj *bj, const void *data, unsigned long long f)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR" };
	int i, n = 0;

	(void)data;
	fputc('[', bj->out);
	for (i = 0; i < 8; i++)
		if (f & (1u << i))
			fprintf(bj->out, "%s\"%s\"", n++ ? "," : "", names[i]);
	fputc(']', bj->out);
	return 0;
}

static int print_addr(const struct bj *bj, const void *data, unsigned long long v)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const __u8 *a = data;
	char buf[INET6_ADDRSTRLEN];

	(void)v;
	if (!(memcmp(a, v4mapped, 12) == 0 ? inet_ntop(AF_INET, a + 12, buf, sizeof(buf))
					    : inet_ntop(AF_INET6, a, buf, sizeof(buf))))
		return -1;
	fprintf(bj->out, "\"%s\"", buf);
	return 0;
}

static int print_be16(const struct bj *bj, const void *data, unsigned long long v)
{
	(void)data;
	fprintf(bj->out, "%u", ntohs((__u16)v));
	return 0;
}

static int print_time(const struct bj *bj, const void *data, unsigned long long v)
{
	(void)data;
	if (v)
		fprintf(bj->out, "%.6f", (double)v / 1e9 + bj->mono_to_real);
	else
		fputs("null", bj->out);
	return 0;
}

/* xk_vlans_t: the ids present (bit 15 marks one). */
static int print_vlans(const struct bj *bj, const void *data, unsigned long long v)
{
	__u16 ids[2];
	int i, n = 0;

	(void)v;
	memcpy(ids, data, sizeof(ids));
	fputc('[', bj->out);
	for (i = 0; i < 2; i++)
		if (ids[i] & 0x8000)
			fprintf(bj->out, "%s%u", n++ ? "," : "", ids[i] & 0xfff);
	fputc(']', bj->out);
	return 0;
}

/*
 * A DNS name in wire form (size bytes at d) in presentation form as dig
 * prints it, as a JSON string into out (at least XK_DNAME_JSON bytes): the
 * labels with a dot after each ("." for the root); in a label, the bytes
 * . ; \ " ( ) @ $ escaped with a backslash, and a space and every byte
 * that is not printable ASCII as \DDD (decimal). Then escaped for JSON.
 * Returns its length, 0 when the first byte is not a label length (no
 * name: null).
 */
#define XK_DNAME_JSON (256 * 5 + 8)
static size_t dname_json(const unsigned char *d, size_t size, char *out)
{
	size_t i = 0, n = 0;

	if (!size || d[0] > 63)
		return 0;
	out[n++] = '"';
	while (i < size && d[i] && d[i] <= 63 && i + 1 + d[i] < size) {
		size_t j, len = d[i++];

		for (j = 0; j < len; j++, i++) {
			unsigned char c = d[i];

			if (c == '"' || c == '\\') {
				/* \" and \\ in presentation, each escaped again for JSON */
				memcpy(out + n, c == '"' ? "\\\\\\\"" : "\\\\\\\\", 4);
				n += 4;
			} else if (c == '.' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$') {
				out[n++] = '\\';
				out[n++] = '\\';
				out[n++] = (char)c;
			} else if (c > 0x20 && c < 0x7f) {
				out[n++] = (char)c;
			} else {
				out[n++] = '\\';
				out[n++] = '\\';
				out[n++] = (char)('0' + c / 100);
				out[n++] = (char)('0' + c / 10 % 10);
				out[n++] = (char)('0' + c % 10);
			}
		}
		out[n++] = '.';
	}
	if (n == 1)
		out[n++] = '.';
	out[n++] = '"';
	return n;
}

static int print_dname(const struct bj *bj, const void *data, unsigned long long size)
{
	char buf[XK_DNAME_JSON];
	size_t n = dname_json(data, size, buf);

	if (n)
		fwrite(buf, 1, n, bj->out);
	else
		fputs("null", bj->out);
	return 0;
}

/* xk_comm_t: a command name (char[16]); empty is none. */
static int print_comm(const struct bj *bj, const void *data, unsigned long long size)
{
	const char *c = data;

	if (!size || !c[0])
		fputs("null", bj->out);
	else
		bj_string(bj->out, c, strnlen(c, size));
	return 0;
}

/* xk_maybe_t: all ones is none. */
static int print_maybe(const struct bj *bj, const void *data, unsigned long long v)
{
	(void)data;
	if (v == 0xffffffffULL || v == ~0ULL)
		fputs("null", bj->out);
	else
		fprintf(bj->out, "%llu", v);
	return 0;
}

/* How a scalar folds across CPUs. */
enum fold_rule { FOLD_SUM, FOLD_MAX, FOLD_MIN_NONZERO, FOLD_OR, FOLD_KEEP };

/*
 * The special types, one row each: the typedef (xk_NAME_t, and its width
 * variants xk_NAME8_t, xk_NAME16_t...), whether it is an array, how it is
 * printed (NULL: as a number) and how it folds across CPUs. Every other
 * integer is a counter (printed as a number, summed), an xk_NAME_t with an
 * enum xk_NAME is printed as that enum (largest), an enum by name.
 */
static const struct special {
	const char *base;
	bool array;
	int (*print)(const struct bj *bj, const void *data, unsigned long long v);
	enum fold_rule fold;
} specials[] = {
	{ "xk_addr", true, print_addr, FOLD_KEEP },         /* v4-mapped IPv4, IPv6 */
	{ "xk_be16", false, print_be16, FOLD_MAX },         /* network order, printed in host */
	{ "xk_proto", false, print_proto, FOLD_MAX },       /* "tcp", "udp", ... or a number */
	{ "xk_tcpflags", false, print_tcpflags, FOLD_OR },  /* ["SYN","ACK"] */
	{ "xk_first_ns", false, print_time, FOLD_MIN_NONZERO }, /* monotonic ns -> Unix s */
	{ "xk_last_ns", false, print_time, FOLD_MAX },
	{ "xk_ts_ns", false, print_time, FOLD_MAX },        /* an event's time */
	{ "xk_vlans", true, print_vlans, FOLD_KEEP },       /* [100, 200] */
	{ "xk_gauge", false, NULL, FOLD_MAX },              /* a setting, not a counter */
	{ "xk_dname", true, print_dname, FOLD_KEEP },       /* "www.example.com." */
	{ "xk_maybe", false, print_maybe, FOLD_MAX },       /* a number, or null */
	{ "xk_comm", true, print_comm, FOLD_KEEP },         /* "curl", or null */
};

static const struct special *special_of(const char *xk, bool array)
{
	size_t i;

	for (i = 0; xk && i < sizeof(specials) / sizeof(specials[0]); i++)
		if (specials[i].array == array && xk_is(xk, specials[i].base))
			return &specials[i];
	return NULL;
}

/* char arrays are strings. clang does not set BTF_INT_CHAR: go by name too. */
static bool is_char(const struct btf *btf, const struct btf_type *t)
{
	const char *n;

	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	if (btf_int_encoding(t) & BTF_INT_CHAR)
		return true;
	n = btf__name_by_offset(btf, t->name_off);
	return n && (strcmp(n, "char") == 0 || strcmp(n, "signed char") == 0 ||
		     strcmp(n, "unsigned char") == 0);
}

/* A bitfield's value: BITS bits from bit OFF of data (little-endian). */
static unsigned long long get_bits(const void *data, __u32 off, __u32 bits)
{
	const __u8 *p = (const __u8 *)data + off / 8;
	unsigned long long v = 0;
	__u32 i, sh = off % 8, n = (sh + bits + 7) / 8;

	for (i = 0; i < n && i < 8; i++)
		v |= (unsigned long long)p[i] << (8 * i);
	v >>= sh;
	return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

static void put_bits(void *data, __u32 off, __u32 bits, unsigned long long v)
{
	__u8 *p = (__u8 *)data + off / 8;
	__u32 i;

	for (i = 0; i < bits; i++) {
		__u32 b = off % 8 + i;

		if (v & (1ULL << i))
			p[b / 8] |= (__u8)(1u << (b % 8));
		else
			p[b / 8] &= (__u8)~(1u << (b % 8));
	}
}

static int print_value(const struct bj *bj, __u32 id, const void *data);

/* A flexible array (no elements) of xk_hex_t: the bytes that follow the
 * struct in an event record. */
static bool is_tail(const struct btf *btf, __u32 id)
{
	char xk[XK_NAME_MAX];
	const struct btf_type *t = resolve(btf, id, NULL, NULL);

	if (!t || !btf_is_array(t) || btf_array(t)->nelems)
		return false;
	resolve(btf, btf_array(t)->type, xk, NULL);
	return xk_is(xk, "xk_hex");
}

static void print_hex(const struct bj *bj, const char *name, bool first)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = bj->tail;
	char buf[512];
	size_t i = 0, n = 0;

	fprintf(bj->out, "%s\"%s\":\"", first ? "" : ",", name);
	for (i = 0; i < bj->tail_len; i++) {
		buf[n++] = digits[p[i] >> 4];
		buf[n++] = digits[p[i] & 15];
		if (n == sizeof(buf)) {
			fwrite(buf, 1, n, bj->out);
			n = 0;
		}
	}
	fwrite(buf, 1, n, bj->out);
	fputc('"', bj->out);
}

/* A scalar v of type t (typedef xk, or NULL): by its special row, as an
 * enum, or as a number. */
static int print_scalar(const struct bj *bj, const struct btf_type *t, const char *xk,
			const void *data, unsigned long long v)
{
	const struct special *sp = special_of(xk, false);
	const struct btf_type *e;

	if (sp && sp->print)
		return sp->print(bj, data, v);
	if (sp)
		fprintf(bj->out, "%llu", v);
	else if (btf_is_any_enum(t))
		return print_enum(bj, t, v);
	else if (xk && (e = enum_for_typedef(bj->btf, xk)))
		return print_enum(bj, e, v);
	else if (data && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED))
		fprintf(bj->out, "%lld", get_sint(data, t->size));
	else
		fprintf(bj->out, "%llu", v);
	return 0;
}

/* Members as "name":value pairs, each led by a comma unless `first` and it
 * is the first one printed; the member named `skip` is left out. A
 * bitfield member prints its bits. */
static int print_members(const struct bj *bj, const struct btf_type *t,
			 const void *data, bool first, const char *skip)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(bj->btf, m[i].name_off);
		__u32 bits = btf_member_bitfield_size(t, i), off = btf_member_bit_offset(t, i);

		if (!name || !*name || name[0] == '_' || (skip && strcmp(name, skip) == 0))
			continue;
		if (is_tail(bj->btf, m[i].type)) { /* the bytes after the struct */
			if (bj->tail_len)
				print_hex(bj, name, first);
			first = first && !bj->tail_len;
			continue;
		}
		fprintf(bj->out, "%s\"%s\":", first ? "" : ",", name);
		first = false;
		if (bits) {
			char xk[XK_NAME_MAX];
			const struct btf_type *mt = resolve(bj->btf, m[i].type, xk, NULL);

			if (!mt || !(btf_is_int(mt) || btf_is_any_enum(mt)) || bits > 64)
				return -1;
			if (print_scalar(bj, mt, xk[0] ? xk : NULL, NULL, get_bits(data, off, bits)))
				return -1;
		} else if (print_value(bj, m[i].type, (const char *)data + off / 8)) {
			return -1;
		}
	}
	return 0;
}

/* -1: a kind no map key or value holds (a pointer, a function...). */
static int print_value(const struct bj *bj, __u32 id, const void *data)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, id, xkbuf, &id);
	const char *xk = xkbuf[0] ? xkbuf : NULL;
	const struct special *sp;
	FILE *out = bj->out;

	if (!t)
		return -1;
	if (btf_is_int(t) || btf_is_any_enum(t)) {
		if (t->size > 8)
			return -1;
		return print_scalar(bj, t, xk, data, get_uint(data, t->size));
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *et = resolve(bj->btf, a->type, NULL, NULL);
		__s64 esz = btf__resolve_size(bj->btf, a->type);
		__u32 i;

		if ((sp = special_of(xk, true))) /* v: the array's size in bytes */
			return sp->print(bj, data, esz > 0 ? (unsigned long long)esz * a->nelems : 0);
		if (is_char(bj->btf, et)) {
			bj_string(out, data, a->nelems);
			return 0;
		}
		fputc('[', out);
		for (i = 0; esz > 0 && i < a->nelems; i++) {
			if (i)
				fputc(',', out);
			if (print_value(bj, a->type, (const char *)data + i * esz))
				return -1;
		}
		fputc(']', out);
		return 0;
	}
	if (btf_is_struct(t) || btf_is_union(t)) {
		fputc('{', out);
		if (print_members(bj, t, data, true, NULL))
			return -1;
		fputc('}', out);
		return 0;
	}
	return -1;
}

int bj_fields(const struct bj *bj, __u32 type_id, const void *data,
	      const char *fallback)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, type_id, xkbuf, NULL);
	const char *xk = xkbuf[0] ? xkbuf : NULL;
	char name[64];

	if (t && (btf_is_struct(t) || btf_is_union(t)))
		return print_members(bj, t, data, false, NULL);
	/* a scalar: xk_dir_t is the field "dir" */
	if (xk)
		xk_base_name(xk, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", fallback);
	fprintf(bj->out, ",\"%s\":", name);
	return print_value(bj, type_id, data);
}

static enum fold_rule scalar_rule(const struct bj *bj, const struct btf_type *t,
				  const char *xk)
{
	const struct special *sp = special_of(xk, false);

	if (sp)
		return sp->fold;
	if (btf_is_any_enum(t) || (xk && enum_for_typedef(bj->btf, xk)))
		return FOLD_MAX;
	return FOLD_SUM;
}

static unsigned long long fold1(enum fold_rule r, unsigned long long a,
				unsigned long long b)
{
	switch (r) {
	case FOLD_MIN_NONZERO: return (b && (!a || b < a)) ? b : a;
	case FOLD_OR: return a | b;
	case FOLD_MAX: return b > a ? b : a;
	case FOLD_SUM: return a + b;
	case FOLD_KEEP: return a;
	}
	return a;
}

/* A bitfield folds by the rule of its type, within its width. */
static void fold_bits(const struct bj *bj, __u32 type_id, void *acc, const void *val,
		      __u32 off, __u32 bits)
{
	char xk[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, type_id, xk, NULL);

	if (!t || bits > 64)
		return;
	put_bits(acc, off, bits, fold1(scalar_rule(bj, t, xk[0] ? xk : NULL),
				       get_bits(acc, off, bits), get_bits(val, off, bits)));
}

static void fold_members(const struct bj *bj, const struct btf_type *t, void *acc,
			 const void *val, const char *skip);

void bj_fold(const struct bj *bj, __u32 type_id, void *acc, const void *cpu_val,
	     int cpu)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, type_id, xkbuf, &type_id);
	const char *xk = xkbuf[0] ? xkbuf : NULL;
	__s64 size = btf__resolve_size(bj->btf, type_id);

	if (!t || size <= 0)
		return;
	if (cpu == 0) {
		memcpy(acc, cpu_val, (size_t)size);
		return;
	}
	if (btf_is_struct(t)) {
		fold_members(bj, t, acc, cpu_val, NULL);
		return;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__s64 esz = btf__resolve_size(bj->btf, a->type);
		const struct btf_type *et = resolve(bj->btf, a->type, NULL, NULL);
		const struct special *sp = special_of(xk, true);
		__u32 i;

		if ((sp && sp->fold == FOLD_KEEP) || is_char(bj->btf, et))
			return; /* an address, a string: CPU 0's copy */
		for (i = 0; esz > 0 && i < a->nelems; i++)
			bj_fold(bj, a->type, (char *)acc + i * esz,
				(const char *)cpu_val + i * esz, cpu);
		return;
	}
	if ((btf_is_int(t) || btf_is_any_enum(t)) && t->size <= 8)
		put_uint(acc, t->size, fold1(scalar_rule(bj, t, xk), get_uint(acc, t->size),
					     get_uint(cpu_val, t->size)));
}

/* Does type id hold a counter (a scalar that folds by summing)? */
static bool has_counter(const struct bj *bj, __u32 id)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, id, xkbuf, &id);
	const struct btf_member *m;
	int i;

	if (!t)
		return false;
	if (btf_is_int(t) || btf_is_any_enum(t))
		return !is_char(bj->btf, t) && t->size <= 8 &&
		       scalar_rule(bj, t, xkbuf[0] ? xkbuf : NULL) == FOLD_SUM;
	if (!btf_is_struct(t))
		return false; /* arrays and unions: no deltas */
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(bj->btf, m[i].name_off);

		/* bitfields: no deltas */
		if (n && *n && n[0] != '_' && !btf_member_bitfield_size(t, i) &&
		    has_counter(bj, m[i].type))
			return true;
	}
	return false;
}

static void print_delta(const struct bj *bj, __u32 id, const void *cur,
			const void *prev, const char *skip)
{
	const struct btf_type *t = resolve(bj->btf, id, NULL, &id);
	const struct btf_member *m;
	int i, n = 0;

	if (btf_is_int(t) || btf_is_any_enum(t)) {
		unsigned long long c = get_uint(cur, t->size);
		unsigned long long p = prev ? get_uint(prev, t->size) : 0;

		/* a counter that went down was reset: all of it is new */
		fprintf(bj->out, "%llu", c >= p ? c - p : c);
		return;
	}
	fputc('{', bj->out);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(bj->btf, m[i].name_off);
		__u32 off = btf_member_bit_offset(t, i) / 8;

		if (!name || !*name || name[0] == '_' || (skip && strcmp(name, skip) == 0) ||
		    btf_member_bitfield_size(t, i) || !has_counter(bj, m[i].type))
			continue;
		fprintf(bj->out, "%s\"%s\":", n++ ? "," : "", name);
		print_delta(bj, m[i].type, (const char *)cur + off,
			    prev ? (const char *)prev + off : NULL, NULL);
	}
	fputc('}', bj->out);
}

void bj_delta(const struct bj *bj, __u32 type_id, const void *cur,
	      const void *prev, const char *skip)
{
	fputs(",\"delta\":", bj->out);
	print_delta(bj, type_id, cur, prev, skip);
}

int bj_member(const struct bj *bj, __u32 struct_id, const char *name,
	      __u32 *type_id, __u32 *offset, __u32 *size)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_struct(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(bj->btf, m[i].name_off);
		__s64 sz = btf__resolve_size(bj->btf, m[i].type);

		if (n && strcmp(n, name) == 0 && sz > 0) {
			*type_id = m[i].type;
			*offset = btf_member_bit_offset(t, i) / 8;
			*size = (__u32)sz;
			return 0;
		}
	}
	return -1;
}

int bj_fields_except(const struct bj *bj, __u32 struct_id, const void *data,
		     const char *skip)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);

	if (!t || !btf_is_struct(t))
		return -1;
	return print_members(bj, t, data, false, skip);
}

/* Fold a struct member by member (bitfields by their bits), leaving out
 * the member named skip (NULL: none). acc already holds a first value. */
static void fold_members(const struct bj *bj, const struct btf_type *t, void *acc,
			 const void *val, const char *skip)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(bj->btf, m[i].name_off);
		__u32 off = btf_member_bit_offset(t, i), bits = btf_member_bitfield_size(t, i);

		if (skip && n && strcmp(n, skip) == 0)
			continue;
		if (bits)
			fold_bits(bj, m[i].type, acc, val, off, bits);
		else
			bj_fold(bj, m[i].type, (char *)acc + off / 8, (const char *)val + off / 8, 1);
	}
}

void bj_fold_except(const struct bj *bj, __u32 struct_id, void *acc,
		    const void *val, const char *skip)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);

	if (t && btf_is_struct(t))
		fold_members(bj, t, acc, val, skip);
}

int bj_member_typed(const struct bj *bj, __u32 struct_id, const char *xk_name,
		    __u32 *offset, __u32 *size)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_struct(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		char xk[XK_NAME_MAX];
		const struct btf_type *mt = resolve(bj->btf, m[i].type, xk, NULL);

		if (mt && btf_is_int(mt) && strcmp(xk, xk_name) == 0) {
			*offset = btf_member_bit_offset(t, i) / 8;
			*size = mt->size;
			return 0;
		}
	}
	return -1;
}

int bj_uint(const struct bj *bj, __u32 type_id, const void *data,
	    unsigned long long *v)
{
	const struct btf_type *t = resolve(bj->btf, type_id, NULL, NULL);

	if (!t || !(btf_is_int(t) || btf_is_any_enum(t)) || t->size > 8)
		return -1;
	*v = get_uint(data, t->size);
	return 0;
}

/*
 * The layout of a type, as a string that is equal for two types exactly when
 * their bytes mean the same: integers by sign and width, enums by width,
 * arrays by count and element, structs and unions by member name, bit
 * offset (and bitfield width) and type, and their size. Typedef names and
 * struct names do not count (renaming one keeps the data); member names do.
 */
int bj_layout(const struct btf *btf, __u32 id, FILE *out)
{
	const struct btf_type *t = resolve(btf, id, NULL, NULL);
	const struct btf_member *m;
	const struct btf_array *a;
	int i, n;

	if (!t)
		return -1;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		fprintf(out, "%c%u", (btf_int_encoding(t) & BTF_INT_SIGNED) ? 's' : 'u',
			btf_int_bits(t));
		return 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		fprintf(out, "e%u", t->size * 8);
		return 0;
	case BTF_KIND_PTR:
		fputs("ptr", out);
		return 0;
	case BTF_KIND_ARRAY:
		a = btf_array(t);
		fprintf(out, "[%u]", a->nelems);
		return bj_layout(btf, a->type, out);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		fputs(btf_is_union(t) ? "union{" : "{", out);
		m = btf_members(t);
		n = btf_vlen(t);
		for (i = 0; i < n; i++, m++) {
			__u32 bits = btf_member_bitfield_size(t, i);

			fprintf(out, "%s%s@%u", i ? "," : "", btf__name_by_offset(btf, m->name_off),
				btf_member_bit_offset(t, i));
			if (bits)
				fprintf(out, "/%u", bits);
			fputc(':', out);
			if (bj_layout(btf, m->type, out))
				return -1;
		}
		fprintf(out, "}%u", t->size);
		return 0;
	default:
		return -1;
	}
}

/* Read into a zeroed buffer of our own rather than with
 * btf__load_from_kernel_by_id(): same result, but valgrind can then tell the
 * kernel-written bytes are defined, and so check this program's own reads. */
struct btf *bj_load_btf(__u32 id)
{
	struct bpf_btf_info info;
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	void *buf = NULL;
	int fd = bpf_btf_get_fd_by_id(id);

	if (fd < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_size)
		goto out;
	buf = calloc(1, info.btf_size);
	if (!buf)
		goto out;
	len = sizeof(info);
	info = (struct bpf_btf_info){ .btf = (__u64)(unsigned long)buf,
				      .btf_size = info.btf_size };
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	btf = btf__new(buf, info.btf_size);
	if (libbpf_get_error(btf))
		btf = NULL;
out:
	free(buf);
	close(fd);
	return btf;
}

__u32 bj_prog_btf_using(int prog_fd, __u32 map_id)
{
	struct bpf_prog_info pi;
	__u32 ids[64], len = sizeof(pi), i;

	memset(&pi, 0, sizeof(pi));
	memset(ids, 0, sizeof(ids));
	pi.nr_map_ids = 64;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len) || !pi.btf_id)
		return 0;
	for (i = 0; i < pi.nr_map_ids && i < 64; i++)
		if (ids[i] == map_id)
			return pi.btf_id;
	return 0;
}

/*
 * Plans: the fields of one struct, resolved once (names, offsets, the rule
 * of each member, enum names), for printing many values of it fast (ring
 * buffer events). Same rules and output as bj_fields(); a member of a kind
 * the plan has no fast way for is printed by print_value().
 */
enum op_kind { OP_UINT, OP_SINT, OP_ENUM, OP_FLAGS, OP_BE16, OP_PROTO, OP_TCPFLAGS,
	       OP_TIME, OP_ADDR, OP_VLANS, OP_TAIL, OP_DNAME, OP_MAYBE, OP_SLOW };

struct op {
	enum op_kind kind;
	__u32 off, size, type_id;
	char key[80];           /* ,"name": */
	size_t keylen;
	int nnames;
	unsigned long long *vals;
	char (*names)[64];      /* the enumerators' printed names, quoted */
	char unknown[32];       /* an upper-case enum's prefix for a value it has no name for */
};

struct bj_plan {
	int n;
	struct op *ops;
	long long off_us;       /* microseconds to add to CLOCK_MONOTONIC */
};

static int plan_enum(const struct bj *bj, struct op *o, const struct btf_type *e)
{
	int i, n = btf_vlen(e);

	o->kind = bj_enum_is_flags(e) ? OP_FLAGS : OP_ENUM;
	o->nnames = n;
	enum_unknown(bj->btf, e, o->unknown, sizeof(o->unknown));
	o->vals = calloc((size_t)n + 1, sizeof(*o->vals));
	o->names = calloc((size_t)n + 1, sizeof(*o->names));
	if (!o->vals || !o->names)
		return -1;
	for (i = 0; i < n; i++) {
		char name[60];

		o->vals[i] = enum_val(e, i);
		if (bj_enum_name(bj->btf, e, i, name, sizeof(name)))
			return -1;
		snprintf(o->names[i], sizeof(o->names[i]), "\"%s\"", name);
	}
	return 0;
}

void bj_plan_free(struct bj_plan *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->ops[i].vals);
		free(p->ops[i].names);
	}
	free(p->ops);
	free(p);
}

struct bj_plan *bj_plan_new(const struct bj *bj, __u32 type_id)
{
	const struct btf_type *t = resolve(bj->btf, type_id, NULL, NULL);
	const struct btf_member *m;
	struct bj_plan *p;
	int i;

	if (!t || !btf_is_struct(t))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->ops = calloc(btf_vlen(t) ? btf_vlen(t) : 1, sizeof(*p->ops)))) {
		free(p);
		return NULL;
	}
	p->off_us = (long long)(bj->mono_to_real * 1e6);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(bj->btf, m[i].name_off);
		struct op *o = &p->ops[p->n];
		char xkb[XK_NAME_MAX];
		const char *xk;
		const struct btf_type *mt, *e;
		const struct special *sp;
		__u32 mid;

		if (!name || !*name || name[0] == '_')
			continue;
		o->off = btf_member_bit_offset(t, i) / 8;
		o->type_id = m[i].type;
		o->kind = OP_SLOW;
		o->keylen = (size_t)snprintf(o->key, sizeof(o->key), ",\"%s\":", name);
		if (o->keylen >= sizeof(o->key) || btf_member_bitfield_size(t, i) ||
		    btf_member_bit_offset(t, i) % 8)
			goto fail;
		p->n++;
		if (is_tail(bj->btf, m[i].type)) {
			o->kind = OP_TAIL;
			continue;
		}
		mt = resolve(bj->btf, m[i].type, xkb, &mid);
		xk = xkb[0] ? xkb : NULL;
		if (!mt)
			goto fail;
		o->size = mt->size;
		if (btf_is_array(mt)) {
			__s64 sz = btf__resolve_size(bj->btf, mid);

			o->size = sz > 0 ? (__u32)sz : 0;
			sp = special_of(xk, true);
			if (sp && sp->print == print_addr)
				o->kind = OP_ADDR;
			else if (sp && sp->print == print_vlans)
				o->kind = OP_VLANS;
			else if (sp && sp->print == print_dname)
				o->kind = OP_DNAME;
			continue;
		}
		if (!(btf_is_int(mt) || btf_is_any_enum(mt)) || mt->size > 8)
			continue;
		sp = special_of(xk, false);
		if (sp && sp->print == print_be16)
			o->kind = OP_BE16;
		else if (sp && sp->print == print_proto)
			o->kind = OP_PROTO;
		else if (sp && sp->print == print_tcpflags)
			o->kind = OP_TCPFLAGS;
		else if (sp && sp->print == print_time)
			o->kind = OP_TIME;
		else if (sp && sp->print == print_maybe)
			o->kind = OP_MAYBE;
		else if (sp && sp->print)
			continue; /* OP_SLOW */
		else if (sp)
			o->kind = OP_UINT;
		else if (btf_is_any_enum(mt) || (xk && (e = enum_for_typedef(bj->btf, xk)))) {
			if (plan_enum(bj, o, btf_is_any_enum(mt) ? mt : e))
				goto fail;
		} else if (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED))
			o->kind = OP_SINT;
		else
			o->kind = OP_UINT;
	}
	return p;
fail:
	bj_plan_free(p);
	return NULL;
}

/* The line being built: flushed to the stream when full, and before a
 * member printed the slow way. */
struct lbuf {
	FILE *out;
	size_t n;
	char b[2048];
};

static void lb_flush(struct lbuf *l)
{
	fwrite(l->b, 1, l->n, l->out);
	l->n = 0;
}

static void lb_put(struct lbuf *l, const char *s, size_t n)
{
	if (l->n + n > sizeof(l->b))
		lb_flush(l);
	if (n > sizeof(l->b)) {
		fwrite(s, 1, n, l->out);
		return;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void lb_uint(struct lbuf *l, unsigned long long v)
{
	char t[24];
	int i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	lb_put(l, t + i, sizeof(t) - (size_t)i);
}

static void lb_c(struct lbuf *l, char c) { lb_put(l, &c, 1); }

int bj_plan_print(const struct bj *bj, const struct bj_plan *p, const void *data)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const flag_names[] = { "\"FIN\"", "\"SYN\"", "\"RST\"", "\"PSH\"",
						  "\"ACK\"", "\"URG\"", "\"ECE\"", "\"CWR\"" };
	struct lbuf l;
	int i, j, n;

	l.out = bj->out;
	l.n = 0;
	for (i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		const unsigned char *d = (const unsigned char *)data + o->off;
		unsigned long long v = o->size <= 8 ? get_uint(d, o->size) : 0;

		if (o->kind == OP_TAIL) {
			const unsigned char *s = bj->tail;
			size_t k;

			if (!bj->tail_len)
				continue;
			lb_put(&l, o->key, o->keylen);
			lb_c(&l, '"');
			for (k = 0; k < bj->tail_len; k++) {
				char two[2] = { hex[s[k] >> 4], hex[s[k] & 15] };

				lb_put(&l, two, 2);
			}
			lb_c(&l, '"');
			continue;
		}
		lb_put(&l, o->key, o->keylen);
		switch (o->kind) {
		case OP_UINT:
			lb_uint(&l, v);
			break;
		case OP_SINT: {
			long long s = get_sint(d, o->size);

			if (s < 0)
				lb_c(&l, '-');
			lb_uint(&l, s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s);
			break;
		}
		case OP_BE16:
			lb_uint(&l, ntohs((__u16)v));
			break;
		case OP_PROTO:
			switch (v) {
			case 1: lb_put(&l, "\"icmp\"", 6); break;
			case 6: lb_put(&l, "\"tcp\"", 5); break;
			case 17: lb_put(&l, "\"udp\"", 5); break;
			case 58: lb_put(&l, "\"icmpv6\"", 8); break;
			default: lb_uint(&l, v);
			}
			break;
		case OP_TCPFLAGS:
			lb_c(&l, '[');
			for (j = 0, n = 0; j < 8; j++)
				if (v & (1u << j)) {
					if (n++)
						lb_c(&l, ',');
					lb_put(&l, flag_names[j], strlen(flag_names[j]));
				}
			lb_c(&l, ']');
			break;
		case OP_TIME:
			if (!v) {
				lb_put(&l, "null", 4);
			} else {
				unsigned long long us = v / 1000 + (unsigned long long)p->off_us;
				unsigned long long f = us % 1000000;
				char frac[7];

				lb_uint(&l, us / 1000000);
				frac[0] = '.';
				for (j = 6; j >= 1; j--, f /= 10)
					frac[j] = (char)('0' + f % 10);
				lb_put(&l, frac, 7);
			}
			break;
		case OP_ENUM:
			for (j = 0; j < o->nnames && o->vals[j] != v; j++)
				;
			if (j < o->nnames) {
				lb_put(&l, o->names[j], strlen(o->names[j]));
			} else if (o->unknown[0]) {
				lb_c(&l, '"');
				lb_put(&l, o->unknown, strlen(o->unknown));
				lb_uint(&l, v);
				lb_c(&l, '"');
			} else {
				lb_uint(&l, v);
			}
			break;
		case OP_MAYBE:
			if (v == 0xffffffffULL || v == ~0ULL)
				lb_put(&l, "null", 4);
			else
				lb_uint(&l, v);
			break;
		case OP_DNAME: {
			char b[XK_DNAME_JSON];
			size_t k = dname_json(d, o->size, b);

			if (k)
				lb_put(&l, b, k);
			else
				lb_put(&l, "null", 4);
			break;
		}
		case OP_FLAGS:
			lb_c(&l, '[');
			for (j = 0, n = 0; j < o->nnames; j++)
				if (v & o->vals[j]) {
					if (n++)
						lb_c(&l, ',');
					lb_put(&l, o->names[j], strlen(o->names[j]));
					v &= ~o->vals[j];
				}
			if (v) {
				if (n)
					lb_c(&l, ',');
				lb_uint(&l, v);
			}
			lb_c(&l, ']');
			break;
		case OP_ADDR:
			if (memcmp(d, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
				lb_c(&l, '"');
				for (j = 12; j < 16; j++) {
					if (j > 12)
						lb_c(&l, '.');
					lb_uint(&l, d[j]);
				}
				lb_c(&l, '"');
			} else {
				char b[INET6_ADDRSTRLEN + 2];

				if (!inet_ntop(AF_INET6, d, b + 1, INET6_ADDRSTRLEN))
					return -1;
				b[0] = '"';
				n = (int)strlen(b);
				b[n++] = '"';
				lb_put(&l, b, (size_t)n);
			}
			break;
		case OP_VLANS: {
			__u16 ids[2];

			memcpy(ids, d, sizeof(ids));
			lb_c(&l, '[');
			for (j = 0, n = 0; j < 2; j++)
				if (ids[j] & 0x8000) {
					if (n++)
						lb_c(&l, ',');
					lb_uint(&l, ids[j] & 0xfff);
				}
			lb_c(&l, ']');
			break;
		}
		default: /* OP_SLOW */
			lb_flush(&l);
			if (print_value(bj, o->type_id, d))
				return -1;
			break;
		}
	}
	lb_flush(&l);
	return 0;
}
