/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdb_remote's normalizer and comparator: the output of one `gdb -batch -x SCRIPT` session
 * (stdout or stderr) becomes a list of lines in which only what must differ between gdb's
 * native ptrace attach and utrace-gdb (`target extended-remote /dev/utrace-gdb`) was
 * rewritten; two such lists are then compared exactly.
 *
 * What gc_normalize() changes, and why (each a narrow rule; the table of reasons is also in
 * gdb_remote_test.c):
 *  1. thread and process ids: the pid and tids differ from run to run. A number after "LWP ",
 *     "process ", "Thread " (also both numbers of the remote "Thread PID.TID") that is one of
 *     the workload's tids (DIR/tids, in order of creation) becomes "T<k>", k from 1 (the main
 *     thread, = the pid).
 *  2. the target's name of a thread: native gdb says "LWP T2" (or, with libthread_db,
 *     "Thread 0x7ffff7ff66c0 (LWP T2)"), the remote target "Thread T1.T2": all read "LWP T2".
 *  3. white space: runs of blanks become one blank and trailing blanks go, because `info
 *     threads` pads its columns to the longest target id, which rule 2 changed.
 *  4. gdb's libthread_db lines ("[Thread debugging using libthread_db enabled]", "Using host
 *     libthread_db library ...") are dropped: only native gdb has them, when it finds the
 *     library (the guest has none; a host run may).
 *  5. the connection and attach lines, before the script's first output line
 *     (GC_MARKER): "Remote debugging using ...", "Attaching to process/program ...",
 *     "Reading symbols from ...", "[New LWP Tk]" (native gdb announces the threads it finds
 *     at attach as new, the remote target lists them), remote file-transfer warnings. The
 *     stop location printed at attach is kept. On stderr (no marker), the remote
 *     file-transfer warnings anywhere.
 *  6. thread exits: "[LWP Tk exited]" lines move, sorted, to the end, after a line
 *     "thread exits:": gdb prints a thread's exit when it notices it, which depends on
 *     timing (when the process exits, exit_group makes its threads report in the kernel's
 *     scheduling order; a thread that exited while others ran is noticed at some later
 *     event). Which threads exited is still compared. The main thread's exit "[LWP T1
 *     exited]" and "[New process T1]" right before "[Inferior 1 (process T1) exited ...]"
 *     go: native gdb prints one, the other or neither depending on whether the main
 *     thread's exit is reported before the others' (the process exit line stays).
 *  7. optional, per scenario (GC_BUSY_PC): the instruction at which a thread spinning in a
 *     one-line loop is interrupted varies from run to run: in a line with " in busy (" the
 *     "0x... in " before the function name goes, and "=> 0x...". The function, arguments,
 *     file and line stay.
 *  8. optional, per scenario (GC_NONSTOP_ATTACH): in non-stop mode gdb reports the stops of
 *     the threads it attached to one by one ("Thread N "gdw" stopped." then the frame, in
 *     read(), where every thread waits at attach), in an order and a number that vary with
 *     timing (at attach time or at a later event): such a stop in read() goes, with the
 *     blank line before it.
 */
#ifndef _GDB_COMPARE_H
#define _GDB_COMPARE_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_MARKER	"@@gdb_remote script@@"
#define GC_MAX_TIDS	64
#define GC_MAX_LINES	8192

enum {
	GC_BUSY_PC = 1 << 0,		/* rule 7 */
	GC_NONSTOP_ATTACH = 1 << 1,	/* rule 8 */
};

struct gc_lines {
	int n;
	char *l[GC_MAX_LINES];
};

static inline void gc_free(struct gc_lines *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->l[i]);
	g->n = 0;
}

static inline int gc_push(struct gc_lines *g, const char *s)
{
	if (g->n >= GC_MAX_LINES)
		return -1;
	g->l[g->n] = strdup(s);
	return g->l[g->n] ? (g->n++, 0) : -1;
}

/* Appends @n bytes of @s to @out (at *@o, NUL-terminated), as far as @size allows */
static inline void gc_put(char *out, size_t *o, size_t size, const char *s, size_t n)
{
	if (*o + n + 1 > size)
		n = size - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = 0;
}

/* The index (from 1) of tid @v in @tids, or 0 */
static inline int gc_tid_index(long v, const long *tids, int ntids)
{
	for (int i = 0; i < ntids; i++)
		if (tids[i] == v)
			return i + 1;
	return 0;
}

/*
 * Appends to @out the number at *@pp (if it is one of @tids, as "T<k>"; else unchanged) and
 * advances *@pp past it. Returns 1 if a number was there.
 */
static inline int gc_take_id(const char **pp, char *out, size_t *o, size_t size,
			     const long *tids, int ntids)
{
	const char *p = *pp;
	char *end;
	long v;
	int k;

	if (!isdigit((unsigned char)*p))
		return 0;
	v = strtol(p, &end, 10);
	if (isalnum((unsigned char)*end))
		return 0;
	k = gc_tid_index(v, tids, ntids);
	if (k) {
		char name[16];

		gc_put(out, o, size, name, snprintf(name, sizeof(name), "T%d", k));
	} else {
		gc_put(out, o, size, p, end - p);
	}
	*pp = end;
	return 1;
}

static inline int gc_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Rules 1, 2, 3 and 7 on one line, into @out */
static inline void gc_line(const char *in, char *out, size_t size, const long *tids,
			   int ntids, int flags)
{
	size_t o = 0;
	const char *p = in;

	out[0] = 0;
	while (*p && o + 1 < size) {
		int word_start = p == in || !isalnum((unsigned char)p[-1]);

		/* native with libthread_db: "Thread 0x7ffff7ff66c0 (LWP N)" */
		if (word_start && gc_starts(p, "Thread 0x")) {
			const char *q = p + 9;
			char *end = NULL;

			while (isxdigit((unsigned char)*q))
				q++;
			if (gc_starts(q, " (LWP ") && isdigit((unsigned char)q[6]))
				strtol(q + 6, &end, 10);
			if (end && *end == ')') {
				q += 6;
				gc_put(out, &o, size, "LWP ", 4);
				gc_take_id(&q, out, &o, size, tids, ntids);
				p = q + 1;
				continue;
			}
		}
		/* remote: "Thread P.T" -> "LWP T"; "Thread T" (no multiprocess) -> "LWP T" */
		if (word_start && gc_starts(p, "Thread ") && isdigit((unsigned char)p[7])) {
			const char *q = p + 7, *dot;
			char *end;

			strtol(q, &end, 10);
			dot = end;
			if (*dot == '.' && isdigit((unsigned char)dot[1])) {
				q = dot + 1;
				gc_put(out, &o, size, "LWP ", 4);
				gc_take_id(&q, out, &o, size, tids, ntids);
				p = q;
				continue;
			}
			if (!isalnum((unsigned char)*end) && gc_tid_index(strtol(q, NULL, 10), tids,
									  ntids)) {
				gc_put(out, &o, size, "LWP ", 4);
				gc_take_id(&q, out, &o, size, tids, ntids);
				p = q;
				continue;
			}
		}
		if (word_start && (gc_starts(p, "LWP ") || gc_starts(p, "process "))) {
			const char *q = strchr(p, ' ') + 1;

			gc_put(out, &o, size, p, q - p);
			p = q;
			gc_take_id(&p, out, &o, size, tids, ntids);
			continue;
		}
		/* rule 3: blanks */
		if (*p == ' ' && p[1] == ' ') {
			while (p[1] == ' ')
				p++;
		}
		out[o++] = *p++;
		out[o] = 0;
	}
	while (o && (out[o - 1] == ' ' || out[o - 1] == '\r'))
		out[--o] = 0;
	if ((flags & GC_BUSY_PC) && strstr(out, " in busy (")) {
		char *s = out, *x;

		/* "#0  0x... in busy (" / "0x... in busy (": drop "0x... in " */
		while ((x = strstr(s, "0x")) != NULL) {
			char *e = x + 2;

			while (isxdigit((unsigned char)*e))
				e++;
			if (gc_starts(e, " in busy (")) {
				memmove(x, e + 4, strlen(e + 4) + 1);
				break;
			}
			s = e;
		}
	}
	if ((flags & GC_BUSY_PC) && gc_starts(out, "=> 0x"))
		snprintf(out, size, "=> (pc in busy)");
}

/* Rule 5: a connection/attach line (before the marker), dropped */
static inline int gc_attach_line(const char *l)
{
	static const char *const prefixes[] = {
		"Remote debugging using ", "Attaching to process ", "Attaching to program",
		"Reading symbols from ", "[New LWP ", "Reading /", "warning: remote target does not",
		"warning: File transfers from remote targets can be slow", NULL
	};

	for (int i = 0; prefixes[i]; i++)
		if (gc_starts(l, prefixes[i]))
			return 1;
	return 0;
}

/* Rule 5 on stderr (no marker there): the remote target's connection warnings */
static inline int gc_connection_warning(const char *l)
{
	return gc_starts(l, "warning: remote target does not support file transfer") ||
	       gc_starts(l, "warning: File transfers from remote targets can be slow");
}

/* Rule 4 */
static inline int gc_thread_db_line(const char *l)
{
	return gc_starts(l, "[Thread debugging using libthread_db") ||
	       gc_starts(l, "Using host libthread_db library");
}

static inline int gc_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if a line of @g contains @s */
static inline int gc_has(const struct gc_lines *g, const char *s)
{
	for (int i = 0; s && i < g->n; i++)
		if (strstr(g->l[i], s))
			return 1;
	return !s;
}

/* Rule 8 */
static inline void gc_drop_attach_stops(struct gc_lines *g)
{
	int o = 0;

	for (int i = 0; i < g->n; i++) {
		size_t n = strlen(g->l[i]);

		if (gc_starts(g->l[i], "Thread ") && n > 9 &&
		    !strcmp(g->l[i] + n - 9, " stopped.") && i + 1 < g->n &&
		    strstr(g->l[i + 1], " in read ()")) {
			if (o && !g->l[o - 1][0])
				free(g->l[--o]);
			free(g->l[i]);
			free(g->l[i + 1]);
			i++;
			continue;
		}
		g->l[o++] = g->l[i];
	}
	g->n = o;
}

/*
 * Reads @path and normalizes it into @g. @has_marker: the file is gdb's stdout, whose
 * lines before GC_MARKER are the attach phase (rule 5). Returns 0 or -1.
 */
static inline int gc_normalize(const char *path, int has_marker, const long *tids, int ntids,
			       int flags, struct gc_lines *g)
{
	static char line[8192], out[8192];
	static struct gc_lines exits;
	int before = has_marker;
	FILE *f = fopen(path, "r");

	g->n = 0;
	exits.n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		gc_line(line, out, sizeof(out), tids, ntids, flags);
		if (before && !strcmp(out, GC_MARKER))
			before = 0;
		if (gc_thread_db_line(out) || (before && gc_attach_line(out)) ||
		    (!has_marker && gc_connection_warning(out)))
			continue;
		/* rule 6 */
		if (!strcmp(out, "[LWP T1 exited]"))
			continue;
		if (gc_starts(out, "[LWP ") && strstr(out, " exited]")) {
			if (gc_push(&exits, out))
				goto fail;
			continue;
		}
		if (gc_starts(out, "[Inferior ") && strstr(out, " exited") && g->n &&
		    gc_starts(g->l[g->n - 1], "[New process ")) {
			free(g->l[--g->n]);
		}
		if (gc_push(g, out))
			goto fail;
	}
	fclose(f);
	if (flags & GC_NONSTOP_ATTACH)
		gc_drop_attach_stops(g);
	if (exits.n) {
		qsort(exits.l, exits.n, sizeof(char *), gc_cmp_str);
		if (gc_push(g, "thread exits:"))
			goto fail2;
		for (int i = 0; i < exits.n; i++)
			if (gc_push(g, exits.l[i]))
				goto fail2;
	}
	gc_free(&exits);
	return 0;
fail:
	fclose(f);
fail2:
	gc_free(&exits);
	return -1;
}

/* Reads DIR/tids (one tid a line, in order of creation) into @tids; returns the count */
static inline int gc_read_tids(const char *path, long *tids, int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fscanf(f, "%ld", &tids[n]) == 1)
		n++;
	fclose(f);
	return n;
}

typedef void (*gc_print_fn)(const char *fmt, ...);

/*
 * Compares @a and @b line by line. Returns the number of the first differing line (1-based)
 * or 0 if equal; prints the first difference with context through @pr.
 */
static inline int gc_compare(const struct gc_lines *a, const struct gc_lines *b,
			     const char *na, const char *nb, gc_print_fn pr)
{
	int i, n = a->n < b->n ? a->n : b->n;

	for (i = 0; i < n; i++)
		if (strcmp(a->l[i], b->l[i]))
			break;
	if (i == n && a->n == b->n)
		return 0;
	if (pr) {
		int from = i > 3 ? i - 3 : 0;

		pr("first difference at line %d (%s has %d lines, %s %d):", i + 1, na, a->n, nb,
		   b->n);
		for (int k = from; k < i + 6 && k < a->n; k++)
			pr("  %s%s: %s", k < i ? " " : "-", na, a->l[k]);
		for (int k = from; k < i + 6 && k < b->n; k++)
			pr("  %s%s: %s", k < i ? " " : "+", nb, b->l[k]);
	}
	return i + 1;
}

#endif /* _GDB_COMPARE_H */
