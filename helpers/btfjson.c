// SPDX-License-Identifier: GPL-2.0
/* btfjson.c - see btfjson.h. */
#include <arpa/inet.h>
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

/* Enumerator name less its "XK_GROUP_" prefix, in lower case. */
static void print_enumerator(FILE *out, const char *name)
{
	const char *p = name;
	int under = 0;

	while (*p && under < 2)
		if (*p++ == '_')
			under++;
	if (!*p)
		p = name;
	fputc('"', out);
	for (; *p; p++)
		fputc((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p, out);
	fputc('"', out);
}

static bool enum_is_flags(const struct btf_type *t)
{
	const struct btf_enum *e = btf_enum(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		__u32 v = (__u32)e[i].val;

		if (v == 0 || (v & (v - 1)))
			return false;
	}
	return btf_vlen(t) > 0;
}

static void print_enum(const struct bj *bj, const struct btf_type *t,
		       unsigned long long v)
{
	const struct btf_enum *e = btf_enum(t);
	int i, n = 0;

	if (enum_is_flags(t)) {
		fputc('[', bj->out);
		for (i = 0; i < btf_vlen(t); i++) {
			if (!(v & (__u32)e[i].val))
				continue;
			if (n++)
				fputc(',', bj->out);
			print_enumerator(bj->out,
					 btf__name_by_offset(bj->btf, e[i].name_off));
			v &= ~(unsigned long long)(__u32)e[i].val;
		}
		if (v) /* bits this BTF has no name for */
			fprintf(bj->out, "%s%llu", n ? "," : "", v);
		fputc(']', bj->out);
		return;
	}
	for (i = 0; i < btf_vlen(t); i++) {
		if ((__u32)e[i].val == (__u32)v) {
			print_enumerator(bj->out,
					 btf__name_by_offset(bj->btf, e[i].name_off));
			return;
		}
	}
	fprintf(bj->out, "%llu", v);
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
	return id > 0 ? btf__type_by_id(btf, id) : NULL;
}

static void print_proto(FILE *out, unsigned int p)
{
	switch (p) {
	case 1: fputs("\"icmp\"", out); break;
	case 6: fputs("\"tcp\"", out); break;
	case 17: fputs("\"udp\"", out); break;
	case 58: fputs("\"icmpv6\"", out); break;
	default: fprintf(out, "%u", p);
	}
}

static void print_tcpflags(FILE *out, unsigned int f)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR" };
	int i, n = 0;

	fputc('[', out);
	for (i = 0; i < 8; i++)
		if (f & (1u << i))
			fprintf(out, "%s\"%s\"", n++ ? "," : "", names[i]);
	fputc(']', out);
}

static void print_addr(FILE *out, const __u8 *a)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char buf[INET6_ADDRSTRLEN];

	if (memcmp(a, v4mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
	fprintf(out, "\"%s\"", buf);
}

static void print_value(const struct bj *bj, __u32 id, const void *data);

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

/* Members as "name":value pairs, each led by a comma unless `first` and it
 * is the first one printed; the member named `skip` is left out. */
static void print_members(const struct bj *bj, const struct btf_type *t,
			  const void *data, bool first, const char *skip)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(bj->btf, m[i].name_off);

		if (!name || !*name || name[0] == '_' || (skip && strcmp(name, skip) == 0))
			continue;
		fprintf(bj->out, "%s\"%s\":", first ? "" : ",", name);
		first = false;
		print_value(bj, m[i].type,
			    (const char *)data + btf_member_bit_offset(t, i) / 8);
	}
}

static void print_value(const struct bj *bj, __u32 id, const void *data)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, id, xkbuf, &id);
	const char *xk = xkbuf[0] ? xkbuf : NULL;
	FILE *out = bj->out;

	if (!t) {
		fputs("null", out);
		return;
	}
	if (xk && strcmp(xk, "xk_addr_t") == 0 && btf_is_array(t)) {
		print_addr(out, data);
		return;
	}
	if (btf_is_int(t) || btf_is_enum(t)) {
		unsigned int size = t->size;
		unsigned long long v = get_uint(data, size);
		const struct btf_type *e;

		if (xk && strcmp(xk, "xk_be16_t") == 0) {
			fprintf(out, "%u", ntohs((__u16)v));
		} else if (xk_is(xk, "xk_proto")) {
			print_proto(out, (unsigned int)v);
		} else if (xk && strcmp(xk, "xk_tcpflags_t") == 0) {
			print_tcpflags(out, (unsigned int)v);
		} else if (xk && (strcmp(xk, "xk_first_ns_t") == 0 ||
				  strcmp(xk, "xk_last_ns_t") == 0)) {
			if (v)
				fprintf(out, "%.6f", (double)v / 1e9 + bj->mono_to_real);
			else
				fputs("null", out);
		} else if (btf_is_enum(t)) {
			print_enum(bj, t, v);
		} else if (xk && (e = enum_for_typedef(bj->btf, xk))) {
			print_enum(bj, e, v);
		} else if (btf_int_encoding(t) & BTF_INT_SIGNED) {
			fprintf(out, "%lld", get_sint(data, size));
		} else {
			fprintf(out, "%llu", v);
		}
		return;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *et = resolve(bj->btf, a->type, NULL, NULL);
		__s64 esz = btf__resolve_size(bj->btf, a->type);
		__u32 i;

		if (is_char(bj->btf, et)) {
			bj_string(out, data, a->nelems);
			return;
		}
		fputc('[', out);
		for (i = 0; esz > 0 && i < a->nelems; i++) {
			if (i)
				fputc(',', out);
			print_value(bj, a->type, (const char *)data + i * esz);
		}
		fputc(']', out);
		return;
	}
	if (btf_is_struct(t) || btf_is_union(t)) {
		fputc('{', out);
		print_members(bj, t, data, true, NULL);
		fputc('}', out);
		return;
	}
	fputs("null", out);
}

void bj_fields(const struct bj *bj, __u32 type_id, const void *data,
	       const char *fallback)
{
	char xkbuf[XK_NAME_MAX];
	const struct btf_type *t = resolve(bj->btf, type_id, xkbuf, NULL);
	const char *xk = xkbuf[0] ? xkbuf : NULL;
	char name[64];

	if (t && (btf_is_struct(t) || btf_is_union(t))) {
		print_members(bj, t, data, false, NULL);
		return;
	}
	/* a scalar: xk_dir_t is the field "dir" */
	if (xk)
		xk_base_name(xk, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", fallback);
	fprintf(bj->out, ",\"%s\":", name);
	print_value(bj, type_id, data);
}

/* How a scalar folds across CPUs, by its typedef (bpf/xdpkit.h). */
enum fold_rule { FOLD_SUM, FOLD_MAX, FOLD_MIN_NONZERO, FOLD_OR };

static enum fold_rule scalar_rule(const struct bj *bj, const struct btf_type *t,
				  const char *xk)
{
	if (xk && strcmp(xk, "xk_first_ns_t") == 0)
		return FOLD_MIN_NONZERO;
	if (xk && strcmp(xk, "xk_tcpflags_t") == 0)
		return FOLD_OR;
	if (btf_is_enum(t) || (xk && (strcmp(xk, "xk_last_ns_t") == 0 ||
				      strncmp(xk, "xk_gauge", 8) == 0 ||
				      strcmp(xk, "xk_be16_t") == 0 ||
				      xk_is(xk, "xk_proto") ||
				      enum_for_typedef(bj->btf, xk))))
		return FOLD_MAX;
	return FOLD_SUM;
}

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
		const struct btf_member *m = btf_members(t);
		int i;

		for (i = 0; i < btf_vlen(t); i++) {
			__u32 off = btf_member_bit_offset(t, i) / 8;

			bj_fold(bj, m[i].type, (char *)acc + off,
				(const char *)cpu_val + off, cpu);
		}
		return;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__s64 esz = btf__resolve_size(bj->btf, a->type);
		__u32 i;

		const struct btf_type *et = resolve(bj->btf, a->type, NULL, NULL);

		if (xk && strcmp(xk, "xk_addr_t") == 0)
			return; /* an address, not counters */
		if (is_char(bj->btf, et))
			return; /* a string: CPU 0's copy */
		for (i = 0; esz > 0 && i < a->nelems; i++)
			bj_fold(bj, a->type, (char *)acc + i * esz,
				(const char *)cpu_val + i * esz, cpu);
		return;
	}
	if (btf_is_int(t) || btf_is_enum(t)) {
		unsigned int sz = t->size;
		unsigned long long a = get_uint(acc, sz), b = get_uint(cpu_val, sz);

		switch (scalar_rule(bj, t, xk)) {
		case FOLD_MIN_NONZERO:
			if (b && (!a || b < a))
				put_uint(acc, sz, b);
			break;
		case FOLD_OR:
			put_uint(acc, sz, a | b);
			break;
		case FOLD_MAX:
			if (b > a)
				put_uint(acc, sz, b);
			break;
		case FOLD_SUM:
			put_uint(acc, sz, a + b);
			break;
		}
	}
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
	if (btf_is_int(t) || btf_is_enum(t))
		return !is_char(bj->btf, t) &&
		       scalar_rule(bj, t, xkbuf[0] ? xkbuf : NULL) == FOLD_SUM;
	if (!btf_is_struct(t))
		return false; /* arrays and unions: no deltas */
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(bj->btf, m[i].name_off);

		if (n && *n && n[0] != '_' && has_counter(bj, m[i].type))
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

	if (btf_is_int(t) || btf_is_enum(t)) {
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
		    !has_counter(bj, m[i].type))
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

void bj_fields_except(const struct bj *bj, __u32 struct_id, const void *data,
		      const char *skip)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);

	if (t && btf_is_struct(t))
		print_members(bj, t, data, false, skip);
}

void bj_fold_except(const struct bj *bj, __u32 struct_id, void *acc,
		    const void *val, const char *skip)
{
	const struct btf_type *t = resolve(bj->btf, struct_id, NULL, NULL);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_struct(t))
		return;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(bj->btf, m[i].name_off);
		__u32 off = btf_member_bit_offset(t, i) / 8;

		if (n && strcmp(n, skip) == 0)
			continue;
		bj_fold(bj, m[i].type, (char *)acc + off, (const char *)val + off, 1);
	}
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

	if (!t || !(btf_is_int(t) || btf_is_enum(t)) || t->size > 8)
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
