/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btfjson.h - print BPF data as JSON fields, driven by BTF alone.
 *
 * The rules (typedef and enum naming) are documented in bpf/xdpkit.h; this
 * code holds no struct layout of its own.
 */
#ifndef BTFJSON_H
#define BTFJSON_H

#include <stdbool.h>
#include <stdio.h>
#include <bpf/btf.h>

struct bj {
	const struct btf *btf;
	FILE *out;
	double mono_to_real; /* seconds to add to CLOCK_MONOTONIC for wall time */
	/* an event record's bytes after its struct: a last member that is a
	 * flexible array of xk_hex_t prints them as hex (none: left out) */
	const void *tail;
	size_t tail_len;
};

/* Fill bj; computes the monotonic-to-wall-clock offset once. */
int bj_init(struct bj *bj, const struct btf *btf, FILE *out);

/*
 * Print the fields of one key or value as `,"name":value` pairs (leading
 * comma each), so callers can prepend fields of their own. A struct prints its
 * members; a scalar prints one field named after its xk_NAME_t typedef, or
 * `fallback` when it has none. Bitfields print their bits. -1: a type no map
 * key or value holds (nothing is left half printed but this field).
 */
int bj_fields(const struct bj *bj, __u32 type_id, const void *data,
	      const char *fallback);

/*
 * Fold CPU `cpu`'s copy of a value of type `type_id` into `acc`, member by
 * member: counters add, xk_first_ns_t keeps the smallest non-zero time,
 * xk_last_ns_t and gauges the largest, xk_tcpflags_t ORs. cpu 0 copies.
 */
void bj_fold(const struct bj *bj, __u32 type_id, void *acc, const void *cpu_val,
	     int cpu);

/*
 * Print `,"delta":{...}`: the counters of a value (the members that fold by
 * summing, nested structs kept) as their increase since `prev`, another
 * reading of the same entry. A counter lower than in `prev` was reset, and
 * prints its whole value; so does every counter when `prev` is NULL. The
 * member named `skip` is left out.
 */
void bj_delta(const struct bj *bj, __u32 type_id, const void *cur,
	      const void *prev, const char *skip);

/* Where member `name` of a struct is: its type, offset and size. -1: none. */
int bj_member(const struct bj *bj, __u32 struct_id, const char *name,
	      __u32 *type_id, __u32 *offset, __u32 *size);

/* The first top-level member of a struct whose typedef is `xk_name`
 * (e.g. "xk_first_ns_t"): its offset and size. -1: none. */
int bj_member_typed(const struct bj *bj, __u32 struct_id, const char *xk_name,
		    __u32 *offset, __u32 *size);

/* An integer or enum of type `type_id` at data, as a number. -1: not one. */
int bj_uint(const struct bj *bj, __u32 type_id, const void *data,
	    unsigned long long *v);

/* bj_fields() of a struct's members but the one named `skip`. */
int bj_fields_except(const struct bj *bj, __u32 struct_id, const void *data,
		     const char *skip);

/* bj_fold() of a struct's members but the one named `skip` (acc already
 * holds a first value). */
void bj_fold_except(const struct bj *bj, __u32 struct_id, void *acc,
		    const void *val, const char *skip);

/* Print s (len bytes, stops at NUL) as a JSON string, escaping everything
 * that is not printable ASCII. */
void bj_string(FILE *out, const char *s, size_t len);

/* The printed name of enumerator i of enum (or enum64) t, into buf: the rule
 * of bpf/xdpkit.h and the README, written here once. -1: cut short. */
int bj_enum_name(const struct btf *btf, const struct btf_type *t, int i,
		 char *buf, size_t size);

/* Is every enumerator of t a single bit (a set of flags)? */
bool bj_enum_is_flags(const struct btf_type *t);

/* Print the layout of a type: a string equal for two types exactly when their
 * bytes mean the same (member names, offsets, widths; not type names).
 * -1: a kind a map key or value cannot hold. */
int bj_layout(const struct btf *btf, __u32 id, FILE *out);

/*
 * A plan: bj_fields() of one struct type, resolved once for printing many
 * values of it (ring buffer events) at a fraction of the cost; the same
 * rules and the same output (times to the microsecond, truncated). NULL:
 * not a struct, or a member the plan cannot print (a bitfield).
 */
struct bj_plan;
struct bj_plan *bj_plan_new(const struct bj *bj, __u32 type_id);
int bj_plan_print(const struct bj *bj, const struct bj_plan *p, const void *data);
void bj_plan_free(struct bj_plan *p);

/* The BTF object `id` from the kernel, or NULL. */
struct btf *bj_load_btf(__u32 id);

/* The BTF id of program prog_fd if it uses map map_id, else 0. */
__u32 bj_prog_btf_using(int prog_fd, __u32 map_id);

#endif
