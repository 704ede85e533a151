/* SPDX-License-Identifier: GPL-2.0 */
/*
 * strace_oracle's parser and comparator: reads the per-thread files of one run of
 * `strace -f -qq -X raw -e raw=all -ff -o DIR/PREFIX` (or of utrace-strace with the same
 * options, whose output format is strace's), turns each into a sequence of events, names the
 * threads by their place in the process tree (by order of creation: the clone/fork return
 * values in the creator's sequence), replaces thread ids by those names where they are pids
 * (the return values of clone and getpid, the arguments of kill, si_pid, ...), and compares
 * two runs thread by thread, event by event, exactly, except for the known differences of
 * struct so_rules.
 *
 * Events: "NAME(ARGS) = RET" (an <unfinished ...> joined with its <... NAME resumed>; an
 * unfinished call never resumed is "= ?", as strace prints for a thread that died in it),
 * "--- SIG {siginfo} ---", "--- stopped by SIG ---", "+++ exited with N +++",
 * "+++ killed by SIG +++".
 */
#ifndef _STRACE_COMPARE_H
#define _STRACE_COMPARE_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SO_MAX_THREADS	64
#define SO_MAX_EVENTS	4096
#define SO_MAX_ARGS	8
#define SO_LINE		4096

enum so_kind { SO_SYSCALL, SO_SIGNAL, SO_STOPPED, SO_EXIT, SO_OTHER };

struct so_event {
	enum so_kind kind;
	char name[64];			/* syscall or signal name */
	int nargs;
	char args[SO_MAX_ARGS][64];	/* syscall arguments as printed */
	char ret[160];			/* after " = ": "0x4", "-1 ENOENT (...)", "?" */
	char *text;			/* the normalized event, what is compared */
};

struct so_thread {
	long tid;
	char sym[48];			/* "1", "1.2", "1.2.1": place in the tree */
	int nev;
	struct so_event *ev;
	int nchildren;
	long children[SO_MAX_THREADS];	/* in order of creation */
};

struct so_run {
	int nthreads;
	struct so_thread t[SO_MAX_THREADS];
	/* pids that are not in the run but may appear: named as given */
	int nextra;
	long extra_pid[4];
	const char *extra_name[4];
	char err[256];
};

/*
 * The known differences, applied to the strace run (@a of so_compare()) only, each as a narrow
 * rule. struct so_rules is filled by the caller per workload; the table of reasons is in
 * strace_oracle_test.c.
 */
struct so_rules {
	/*
	 * Signals the tracee ignores by its disposition (SIG_IGN, or SIG_DFL of SIGCHLD, SIGCONT,
	 * SIGURG, SIGWINCH) when they are sent: "--- SIGx" events of these are removed from
	 * strace's sequences. Space-separated names, e.g. "SIGCHLD SIGUSR2".
	 */
	const char *ignored_signals;
	/* remove "--- stopped by SIGx ---" (group stops) from strace's sequences */
	int drop_group_stops;
	/* the root's first event, its execve: compare the name and return value only */
	int root_execve_args;
	/*
	 * Default-fatal signals (no handler) the program sends itself: strace's
	 * [CALL = R, --- SIGx {...} ---, +++ killed by SIGx +++] at the end of a thread reads
	 * [CALL = ?, +++ killed by SIGx +++]. Space-separated names.
	 */
	const char *fatal_signals;
	/* apply the rules to both runs (strace against itself, to test the comparator) */
	int both;
};

static inline void so_free(struct so_run *r)
{
	for (int i = 0; i < r->nthreads; i++) {
		for (int k = 0; k < r->t[i].nev; k++)
			free(r->t[i].ev[k].text);
		free(r->t[i].ev);
	}
	r->nthreads = 0;
}

static inline void so_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
}

/* Splits "a, b, c" at top-level ", " (raw arguments have no nesting but "<...>") */
static inline void so_split_args(struct so_event *e, const char *s)
{
	int depth = 0;
	size_t k = 0;

	e->nargs = 0;
	if (!*s)
		return;
	for (const char *p = s;; p++) {
		if (*p == '<' || *p == '{' || *p == '[' || *p == '(')
			depth++;
		if (*p == '>' || *p == '}' || *p == ']' || *p == ')')
			depth--;
		if (!*p || (depth == 0 && p[0] == ',' && p[1] == ' ')) {
			if (e->nargs < SO_MAX_ARGS) {
				if (k >= sizeof(e->args[0]))
					k = sizeof(e->args[0]) - 1;
				memcpy(e->args[e->nargs], p - k, k);
				e->args[e->nargs][k] = 0;
				e->nargs++;
			}
			if (!*p)
				break;
			p++;
			k = 0;
			continue;
		}
		k++;
	}
}

/*
 * Parses "NAME(ARGS) = RET" (the whole call, pieces already joined). Returns 0, or -1 when
 * the line is not a call.
 */
static inline int so_parse_call(struct so_event *e, const char *line)
{
	const char *open = strchr(line, '('), *eq, *close;
	char args[SO_LINE];
	size_t n;

	if (!open || open == line || (size_t)(open - line) >= sizeof(e->name))
		return -1;
	for (const char *p = line; p < open; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	eq = strstr(open, ") = ");
	if (!eq) {
		/* the last ") =" (strace pads with spaces before '=') */
		const char *p = open;

		eq = NULL;
		while ((p = strstr(p, ") ")) != NULL) {
			const char *q = p + 1;

			while (*q == ' ')
				q++;
			if (q[0] == '=' && q[1] == ' ')
				eq = p;
			p++;
		}
		if (!eq)
			return -1;
	}
	close = eq;
	memcpy(e->name, line, open - line);
	e->name[open - line] = 0;
	n = close - open - 1;
	if (n >= sizeof(args))
		return -1;
	memcpy(args, open + 1, n);
	args[n] = 0;
	so_split_args(e, args);
	eq = strchr(close, '=');
	eq++;
	while (*eq == ' ')
		eq++;
	snprintf(e->ret, sizeof(e->ret), "%s", eq);
	so_rtrim(e->ret);
	e->kind = SO_SYSCALL;
	return 0;
}

static inline int so_add_event(struct so_thread *t, const struct so_event *e)
{
	if (t->nev >= SO_MAX_EVENTS)
		return -1;
	if (!t->ev) {
		t->ev = calloc(SO_MAX_EVENTS, sizeof(*t->ev));
		if (!t->ev)
			return -1;
	}
	t->ev[t->nev++] = *e;
	return 0;
}

/* Strips a trailing " <unfinished ...>" or " <detached ...>"; returns 1 if there was one. */
static inline int so_strip_unfinished(char *s)
{
	static const char *const tails[] = { " <unfinished ...>", " <detached ...>" };

	for (int i = 0; i < 2; i++) {
		size_t n = strlen(s), m = strlen(tails[i]);

		if (n >= m && !strcmp(s + n - m, tails[i])) {
			s[n - m] = 0;
			return 1;
		}
	}
	return 0;
}

static inline int so_parse_file(struct so_run *r, struct so_thread *t, const char *path)
{
	char line[SO_LINE], pending[SO_LINE] = "";
	FILE *f = fopen(path, "r");
	struct so_event e;

	if (!f) {
		snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		so_rtrim(line);
		if (!*line)
			continue;
		memset(&e, 0, sizeof(e));
		if (!strncmp(line, "<... ", 5)) {
			/* "<... NAME resumed>REST": joins the pending "NAME(ARGS" */
			char *rest = strstr(line, " resumed>");
			char joined[2 * SO_LINE];

			if (!rest || !*pending) {
				snprintf(r->err, sizeof(r->err), "%s: resumed without a start: %s",
					 path, line);
				goto bad;
			}
			rest += strlen(" resumed>");
			snprintf(joined, sizeof(joined), "%s%s", pending, rest);
			*pending = 0;
			if (so_strip_unfinished(joined)) {
				snprintf(pending, sizeof(pending), "%s", joined);
				continue;
			}
			if (so_parse_call(&e, joined)) {
				snprintf(r->err, sizeof(r->err), "%s: unparsed: %s", path, joined);
				goto bad;
			}
			if (so_add_event(t, &e))
				goto full;
			continue;
		}
		if (*pending) {
			/* never resumed: the thread died in it (strace's "= ?") */
			char joined[SO_LINE + 8];

			snprintf(joined, sizeof(joined), "%s) = ?", pending);
			*pending = 0;
			if (so_parse_call(&e, joined))
				goto bad;
			if (so_add_event(t, &e))
				goto full;
			memset(&e, 0, sizeof(e));
		}
		if (!strncmp(line, "--- stopped by ", 15)) {
			e.kind = SO_STOPPED;
			snprintf(e.name, sizeof(e.name), "%s", line + 15);
			*strchrnul(e.name, ' ') = 0;
			snprintf(e.ret, sizeof(e.ret), "%s", line);
		} else if (!strncmp(line, "--- ", 4)) {
			e.kind = SO_SIGNAL;
			snprintf(e.name, sizeof(e.name), "%s", line + 4);
			*strchrnul(e.name, ' ') = 0;
			snprintf(e.ret, sizeof(e.ret), "%s", line);
		} else if (!strncmp(line, "+++ ", 4)) {
			e.kind = SO_EXIT;
			snprintf(e.ret, sizeof(e.ret), "%s", line);
		} else if (so_strip_unfinished(line)) {
			snprintf(pending, sizeof(pending), "%s", line);
			continue;
		} else if (so_parse_call(&e, line)) {
			e.kind = SO_OTHER;
			snprintf(e.ret, sizeof(e.ret), "%s", line);
		}
		if (so_add_event(t, &e))
			goto full;
	}
	if (*pending) {
		char joined[SO_LINE + 8];

		snprintf(joined, sizeof(joined), "%s) = ?", pending);
		memset(&e, 0, sizeof(e));
		if (so_parse_call(&e, joined) || so_add_event(t, &e))
			goto bad;
	}
	fclose(f);
	return 0;
full:
	snprintf(r->err, sizeof(r->err), "%s: more than %d events", path, SO_MAX_EVENTS);
bad:
	fclose(f);
	return -1;
}

static inline struct so_thread *so_find(struct so_run *r, long tid)
{
	for (int i = 0; i < r->nthreads; i++)
		if (r->t[i].tid == tid)
			return &r->t[i];
	return NULL;
}

/* "0x1f" or "0" or "123" (si_pid is decimal) to a number; -1 if not a number */
static inline long so_num(const char *s)
{
	char *end;
	long v;

	if (!*s || !(isdigit((unsigned char)*s)))
		return -1;
	errno = 0;
	v = strtol(s, &end, 0);
	return errno || *end ? -1 : v;
}

static inline int so_is_clone(const char *name)
{
	return !strcmp(name, "clone") || !strcmp(name, "clone3") || !strcmp(name, "fork") ||
	       !strcmp(name, "vfork");
}

static inline const char *so_pid_name(const struct so_run *r, long v)
{
	for (int i = 0; i < r->nthreads; i++)
		if (r->t[i].tid == v && r->t[i].sym[0])
			return r->t[i].sym;
	for (int i = 0; i < r->nextra; i++)
		if (r->extra_pid[i] == v)
			return r->extra_name[i];
	return NULL;
}

/* Replaces @s by "<name>" if it is a known pid. */
static inline void so_norm_pid(const struct so_run *r, char *s, size_t size)
{
	const char *name = so_pid_name(r, so_num(s));

	if (name)
		snprintf(s, size, "<%s>", name);
}

/*
 * Syscalls with pids: the return value (ret), and arguments (bit i: argument i). The pid
 * arguments of strace's raw output are in hex, its return values in hex, si_pid in decimal.
 */
static const struct {
	const char *name;
	int ret;
	unsigned int args;
} so_pid_syscalls[] = {
	{ "clone", 1, 0 }, { "clone3", 1, 0 }, { "fork", 1, 0 }, { "vfork", 1, 0 },
	{ "getpid", 1, 0 }, { "gettid", 1, 0 }, { "getppid", 1, 0 },
	{ "set_tid_address", 1, 0 }, { "getpgrp", 1, 0 }, { "setsid", 1, 0 },
	/* the value of the call the signal interrupted (wait4 in a SIGCHLD handler) */
	{ "rt_sigreturn", 1, 0 },
	{ "getpgid", 1, 1 }, { "getsid", 1, 1 }, { "wait4", 1, 1 }, { "waitid", 0, 2 },
	{ "kill", 0, 1 }, { "tkill", 0, 1 }, { "tgkill", 0, 3 }, { "setpgid", 0, 3 },
	{ "pidfd_open", 0, 1 }, { "rt_sigqueueinfo", 0, 1 }, { "rt_tgsigqueueinfo", 0, 3 },
	{ "prlimit64", 0, 1 }, { "sched_setaffinity", 0, 1 }, { "sched_getaffinity", 0, 1 },
	{ "sched_setscheduler", 0, 1 }, { "sched_getscheduler", 0, 1 },
	{ "sched_setparam", 0, 1 }, { "sched_getparam", 0, 1 }, { "ptrace", 0, 2 },
	{ "kcmp", 0, 3 }, { "process_vm_readv", 0, 1 }, { "process_vm_writev", 0, 1 },
	{ "ioprio_get", 0, 2 }, { "ioprio_set", 0, 2 },
};

/* Replaces the value of "@field=N" in @s by "*" */
static inline void so_mask_field(char *s, const char *field)
{
	char *p = strstr(s, field), *end;

	if (!p)
		return;
	p += strlen(field);
	end = p;
	while (isalnum((unsigned char)*end))
		end++;
	if (end == p)
		return;
	*p = '*';
	memmove(p + 1, end, strlen(end) + 1);
}

/*
 * si_pid=N inside a siginfo: the name of the pid. si_utime and si_stime (SIGCHLD) are the
 * clock ticks the child used, which depend on timing: masked on both sides (not a rule of
 * struct so_rules: no two runs of the same tracer agree on them either).
 */
static inline void so_norm_siginfo(const struct so_run *r, char *in, char *out, size_t size)
{
	const char *p;

	so_mask_field(in, "si_utime=");
	so_mask_field(in, "si_stime=");
	p = strstr(in, "si_pid=");
	char num[32];
	size_t k = 0;
	const char *name;

	if (!p) {
		snprintf(out, size, "%s", in);
		return;
	}
	p += 7;
	while (isdigit((unsigned char)p[k]) && k < sizeof(num) - 1) {
		num[k] = p[k];
		k++;
	}
	num[k] = 0;
	name = so_pid_name(r, so_num(num));
	if (!name) {
		snprintf(out, size, "%s", in);
		return;
	}
	snprintf(out, size, "%.*s<%s>%s", (int)(p - in), in, name, p + k);
}

static inline int so_normalize(struct so_run *r)
{
	for (int i = 0; i < r->nthreads; i++) {
		struct so_thread *t = &r->t[i];

		for (int k = 0; k < t->nev; k++) {
			struct so_event *e = &t->ev[k];
			char buf[SO_LINE];
			size_t n = 0;

			if (e->kind != SO_SYSCALL) {
				if (e->kind == SO_SIGNAL)
					so_norm_siginfo(r, e->ret, buf, sizeof(buf));
				else
					snprintf(buf, sizeof(buf), "%s", e->ret);
				e->text = strdup(buf);
				if (!e->text)
					return -1;
				continue;
			}
			for (size_t s = 0; s < sizeof(so_pid_syscalls) / sizeof(so_pid_syscalls[0]);
			     s++) {
				if (strcmp(e->name, so_pid_syscalls[s].name))
					continue;
				if (so_pid_syscalls[s].ret)
					so_norm_pid(r, e->ret, sizeof(e->ret));
				for (int a = 0; a < e->nargs; a++)
					if (so_pid_syscalls[s].args & (1U << a))
						so_norm_pid(r, e->args[a], sizeof(e->args[a]));
			}
			n += snprintf(buf + n, sizeof(buf) - n, "%s(", e->name);
			for (int a = 0; a < e->nargs && n < sizeof(buf); a++)
				n += snprintf(buf + n, sizeof(buf) - n, "%s%s", a ? ", " : "",
					      e->args[a]);
			if (n < sizeof(buf))
				snprintf(buf + n, sizeof(buf) - n, ") = %s", e->ret);
			e->text = strdup(buf);
			if (!e->text)
				return -1;
		}
	}
	return 0;
}

/* Names thread @t @sym and its children recursively. */
static inline int so_name_tree(struct so_run *r, struct so_thread *t, const char *sym, int depth)
{
	if (t->sym[0] || depth > SO_MAX_THREADS) {
		snprintf(r->err, sizeof(r->err), "thread %ld created twice", t->tid);
		return -1;
	}
	snprintf(t->sym, sizeof(t->sym), "%s", sym);
	for (int c = 0; c < t->nchildren; c++) {
		struct so_thread *ct = so_find(r, t->children[c]);
		char csym[48];

		snprintf(csym, sizeof(csym), "%s.%d", sym, c + 1);
		if (!ct) {
			/* created, never traced: an empty sequence under its name */
			if (r->nthreads >= SO_MAX_THREADS)
				return -1;
			ct = &r->t[r->nthreads++];
			memset(ct, 0, sizeof(*ct));
			ct->tid = t->children[c];
		}
		if (so_name_tree(r, ct, csym, depth + 1))
			return -1;
	}
	return 0;
}

/*
 * Reads DIR/PREFIX.<tid> files into @r; @extra_pid/@extra_name (nextra of them) name pids
 * outside the run (the tracer, the test). Returns 0 or -1 with r->err set.
 */
static inline int so_load(struct so_run *r, const char *dir, const char *prefix, int nextra,
			  const long *extra_pid, const char *const *extra_name)
{
	size_t plen = strlen(prefix);
	struct so_thread *root = NULL;
	struct dirent *d;
	DIR *dp;

	memset(r, 0, sizeof(*r));
	r->nextra = nextra > 4 ? 4 : nextra;
	for (int i = 0; i < r->nextra; i++) {
		r->extra_pid[i] = extra_pid[i];
		r->extra_name[i] = extra_name[i];
	}
	dp = opendir(dir);
	if (!dp) {
		snprintf(r->err, sizeof(r->err), "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		char path[512];
		long tid;

		if (strncmp(d->d_name, prefix, plen) || d->d_name[plen] != '.')
			continue;
		tid = so_num(d->d_name + plen + 1);
		if (tid <= 0)
			continue;
		if (r->nthreads >= SO_MAX_THREADS) {
			snprintf(r->err, sizeof(r->err), "more than %d threads", SO_MAX_THREADS);
			goto bad;
		}
		r->t[r->nthreads].tid = tid;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (so_parse_file(r, &r->t[r->nthreads++], path))
			goto bad;
	}
	closedir(dp);
	if (!r->nthreads) {
		snprintf(r->err, sizeof(r->err), "no %s/%s.* file", dir, prefix);
		return -1;
	}
	/* the tree: children in order of their creator's clone return values */
	for (int i = 0; i < r->nthreads; i++) {
		struct so_thread *t = &r->t[i];

		for (int k = 0; k < t->nev; k++) {
			long v;

			if (t->ev[k].kind != SO_SYSCALL || !so_is_clone(t->ev[k].name))
				continue;
			v = so_num(t->ev[k].ret);
			if (v <= 0)
				continue;
			if (t->nchildren >= SO_MAX_THREADS) {
				snprintf(r->err, sizeof(r->err), "too many children");
				return -1;
			}
			t->children[t->nchildren++] = v;
		}
	}
	for (int i = 0; i < r->nthreads; i++) {
		int created = 0;

		for (int j = 0; j < r->nthreads && !created; j++)
			for (int c = 0; c < r->t[j].nchildren; c++)
				if (r->t[j].children[c] == r->t[i].tid)
					created = 1;
		if (created)
			continue;
		if (root) {
			snprintf(r->err, sizeof(r->err), "two roots: %ld and %ld", root->tid,
				 r->t[i].tid);
			return -1;
		}
		root = &r->t[i];
	}
	if (!root) {
		snprintf(r->err, sizeof(r->err), "no root thread");
		return -1;
	}
	if (so_name_tree(r, root, "1", 0))
		return -1;
	for (int i = 0; i < r->nthreads; i++) {
		if (!r->t[i].sym[0]) {
			snprintf(r->err, sizeof(r->err), "thread %ld outside the tree", r->t[i].tid);
			return -1;
		}
	}
	return so_normalize(r);
bad:
	closedir(dp);
	return -1;
}

static inline struct so_thread *so_find_sym(struct so_run *r, const char *sym)
{
	for (int i = 0; i < r->nthreads; i++)
		if (!strcmp(r->t[i].sym, sym))
			return &r->t[i];
	return NULL;
}

static inline int so_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return 1;
		p = strchr(p, ' ');
	}
	return 0;
}

/* Whether event @k of @t is a signal of rules->fatal_signals followed by "killed by" it */
static inline int so_fatal_shortcut(const struct so_rules *rules, const struct so_thread *t, int k)
{
	const struct so_event *e = &t->ev[k];
	char killed[96];

	if (k + 1 >= t->nev || e->kind != SO_SIGNAL || !so_word_in(e->name, rules->fatal_signals))
		return 0;
	snprintf(killed, sizeof(killed), "+++ killed by %s +++", e->name);
	return t->ev[k + 1].kind == SO_EXIT && !strcmp(t->ev[k + 1].text, killed);
}

/* Whether a rule removes event @k of strace's thread @t; counts it in @used */
static inline int so_rule_drops(const struct so_rules *rules, const struct so_thread *t, int k,
				int *used)
{
	const struct so_event *e = &t->ev[k];

	if (so_fatal_shortcut(rules, t, k)) {
		used[2]++;
		return 1;
	}
	if (e->kind == SO_SIGNAL && so_word_in(e->name, rules->ignored_signals)) {
		used[0]++;
		return 1;
	}
	if (e->kind == SO_STOPPED && rules->drop_group_stops) {
		used[1]++;
		return 1;
	}
	return 0;
}

/* The compared text of event @k of @t (the root's execve without its arguments by rule) */
static inline const char *so_text(const struct so_thread *t, int k, const struct so_rules *rules,
				  char *buf, size_t size)
{
	const struct so_event *e = &t->ev[k];

	if (rules->root_execve_args && !strcmp(t->sym, "1") && k == 0 && e->kind == SO_SYSCALL &&
	    !strcmp(e->name, "execve")) {
		snprintf(buf, size, "execve(*) = %s", e->ret);
		return buf;
	}
	if (e->kind == SO_SYSCALL && so_fatal_shortcut(rules, t, k + 1)) {
		size_t n = strlen(e->text) - strlen(e->ret);

		snprintf(buf, size, "%.*s?", (int)n, e->text);
		return buf;
	}
	return e->text;
}

typedef void (*so_print_fn)(void *ctx, const char *fmt, ...);

/*
 * Compares @a (strace) with @b (utrace-strace) under @rules. Prints the first difference of
 * each thread through @print (with the two events before it). Returns the number of threads
 * that differ; rule_used[0], [1] and [2] count the events the rules removed (ignored signals, group stops,
 * fatal signals).
 */
static inline int so_compare(struct so_run *a, struct so_run *b, const struct so_rules *rules,
			     const char *aname, const char *bname, so_print_fn print, void *ctx,
			     int *rule_used)
{
	int differ = 0;

	rule_used[0] = rule_used[1] = rule_used[2] = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct so_run *x = pass ? b : a, *y = pass ? a : b;

		for (int i = 0; i < x->nthreads; i++) {
			if (so_find_sym(y, x->t[i].sym))
				continue;
			print(ctx, "thread %s (tid %ld) only in %s's trace (%d events)",
			      x->t[i].sym, x->t[i].tid, pass ? bname : aname, x->t[i].nev);
			differ++;
		}
	}
	for (int i = 0; i < a->nthreads; i++) {
		struct so_thread *ta = &a->t[i], *tb = so_find_sym(b, ta->sym);
		int ia = 0, ib = 0, na = 0;
		char b1[SO_LINE], b2[SO_LINE];
		int seen[SO_MAX_EVENTS];

		if (!tb)
			continue;
		for (;;) {
			while (ia < ta->nev && so_rule_drops(rules, ta, ia, rule_used))
				ia++;
			while (rules->both && ib < tb->nev &&
			       so_rule_drops(rules, tb, ib, rule_used))
				ib++;
			if (ia >= ta->nev && ib >= tb->nev)
				break;
			if (ia < ta->nev && ib < tb->nev &&
			    !strcmp(so_text(ta, ia, rules, b1, sizeof(b1)),
				    so_text(tb, ib, rules, b2, sizeof(b2)))) {
				seen[na++ % SO_MAX_EVENTS] = ia;
				ia++;
				ib++;
				continue;
			}
			differ++;
			print(ctx, "thread %s (tids %ld, %ld): first difference at event %d", ta->sym,
			      ta->tid, tb->tid, ib + 1);
			for (int c = na > 2 ? na - 2 : 0; c < na; c++)
				print(ctx, "   both: %s",
				      so_text(ta, seen[c % SO_MAX_EVENTS], rules, b1, sizeof(b1)));
			print(ctx, "-  %s: %s", aname,
			      ia < ta->nev ? so_text(ta, ia, rules, b1, sizeof(b1)) : "(end)");
			print(ctx, "+  %s: %s", bname,
			      ib < tb->nev ? so_text(tb, ib, rules, b2, sizeof(b2)) : "(end)");
			break;
		}
	}
	return differ;
}

#endif /* _STRACE_COMPARE_H */
