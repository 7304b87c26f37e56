/* record.c - the run record: what ran, how it ended, what was enforced.
 *
 * Every figure here comes from the kernel (waitid's status and rusage,
 * the clock) or from the plan the supervisor applied, never from anything
 * the sandboxed program wrote.  docs/record.md documents each field. */
#define _GNU_SOURCE
#include "record.h"
#include "relay.h"

#include "cleanup.h"
#include "error.h"
#include "cgroup.h"
#include "groups.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

/* A byte string of the caller's or the host's (a path, an argument, a
 * name) as the record holds it: a JSON string when it is UTF-8, which
 * jansson requires, else {"base64": ...} of its bytes (docs/record.md).
 * Never dropped: NULL only when out of memory. */
static json_t *text_json(const char *s)
{
	json_t *str = json_string(s);
	if (str || !s)
		return str;
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), o = 0;
	char *b64 = malloc((len + 2) / 3 * 4 + 1);
	if (!b64)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)u[i] << 16 |
			     (i + 1 < len ? (unsigned)u[i + 1] << 8 : 0) |
			     (i + 2 < len ? u[i + 2] : 0);
		b64[o++] = digits[v >> 18 & 63];
		b64[o++] = digits[v >> 12 & 63];
		b64[o++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
		b64[o++] = i + 2 < len ? digits[v & 63] : '=';
	}
	b64[o] = '\0';
	json_t *obj = json_pack("{s:s}", "base64", b64);
	free(b64);
	return obj;
}

/* Sets key of obj to value (owned); a part that cannot be made breaks the
 * record, which is then never written (stk_record_to_json). */
static void put(bool *broken, json_t *obj, const char *key, json_t *value)
{
	if (!obj || !value || json_object_set_new(obj, key, value) < 0) {
		if (!obj)
			json_decref(value);
		*broken = true;
	}
}

/* Appends value (owned) to list; false, and list released, if either is
 * missing: a record is complete or it is not made. */
static bool append(json_t **list, json_t *value)
{
	if (*list && value && json_array_append_new(*list, value) == 0)
		return true;
	if (!*list)
		json_decref(value);
	json_decref(*list);
	*list = NULL;
	return false;
}

static json_t *mount_path(const struct mount_op *op)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/%s", op->dest);
	return text_json(path);
}

static json_t *mounts_json(const struct plan *plan)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < plan->n_ops; i++) {
		const struct mount_op *op = &plan->ops[i];
		json_t *m = NULL;
		switch (op->kind) {
		case OP_BIND:
			m = json_pack("{s:o, s:s, s:o, s:b}", "path",
				      mount_path(op), "type", "bind", "source",
				      text_json(op->source), "read_only",
				      op->read_only);
			break;
		case OP_TMPFS:
			m = json_pack("{s:o, s:s, s:I, s:b}", "path",
				      mount_path(op), "type", "tmpfs", "size",
				      (json_int_t)strtoull(op->size, NULL, 10),
				      "read_only", 0);
			break;
		case OP_PROC:
			m = json_pack("{s:o, s:s, s:b}", "path", mount_path(op),
				      "type", "proc", "read_only", 0);
			break;
		case OP_DEVICE:
			m = json_pack("{s:o, s:s, s:s, s:b}", "path",
				      mount_path(op), "type", "dev", "source",
				      op->source, "read_only", 0);
			break;
		default:
			continue; /* files and links are not mounts */
		}
		append(&list, m);
	}
	return list;
}

/* The entries of masks.c, which the run does not see (mount.c covers
 * each the kernel has and lets the run read). */
static json_t *proc_masked(void)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < stk_n_proc_masks; i++)
		append(&list, json_sprintf("/proc/%s", stk_proc_masks[i].path));
	return list;
}

static json_t *group_names(uint64_t groups)
{
	json_t *names = json_array();
	for (size_t i = 0; names && i < stk_n_groups; i++)
		if (groups & (1ULL << i))
			append(&names, json_string(stk_groups[i].name));
	return names;
}

static json_t *string_list(char *const *list, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		append(&a, text_json(list[i]));
	return a;
}

static json_t *seccomp_json(const struct stk_policy *policy,
			    const struct plan *plan)
{
	return json_pack(
		"{s:b, s:s, s:s, s:[s], s:s, s:s, s:I, s:I, s:o, s:o, s:s}",
		"applied", 1, "default", "deny", "on_deny",
		policy->on_deny == STK_ON_DENY_KILL ? "kill" : "errno",
		"architectures", "x86_64", "other_architectures", "end the run",
		"clone3", "ENOSYS", "rules", (json_int_t)plan->filter.rules,
		"instructions", (json_int_t)plan->filter.prog.len, "groups",
		group_names(plan->groups), "denied_calls",
		string_list(policy->denied, policy->n_denied), "reported_by",
		"seccomp user notification");
}

void record_cgroup(struct stk_record *rec, const struct cgroup_run *cg,
		   const struct cgroup_usage *u)
{
	if (!rec->enforced)
		return;
	json_t *group =
		cg ? json_pack(
			     "{s:b, s:s, s:o?, s:o?, s:o?}", "applied", 1,
			     "layout", cg->layout, "v2", text_json(cg->v2),
			     "memory",
			     text_json(cg->memory_v2 ? cg->v2
						     : cg->v1[CG_MEMORY]),
			     "pids",
			     text_json(cg->pids_v2 ? cg->v2 : cg->v1[CG_PIDS]))
		   : json_pack("{s:b, s:s}", "applied", 0, "reason",
			       geteuid() == 0 ? "setup failed before it"
					      : "no cgroup this user may write "
						"(unprivileged): rlimits only");
	put(&rec->broken, rec->enforced, "cgroup", group);
	struct stk_result *res = &rec->res;
	res->memory_counted = u && u->memory;
	if (res->memory_counted) {
		res->memory_peak_bytes = u->memory_peak;
		res->oom_kills = u->oom_kills;
		rec->memory_from = u->peak_from;
	}
	res->tasks_counted = u && u->tasks;
	if (res->tasks_counted) {
		res->tasks_peak = u->tasks_peak;
		res->refused_forks = u->pids_max_hits;
	}
}

void record_output(struct stk_record *rec, const struct relay *out)
{
	/* Passed on is what reached the caller; dropped, what the program
	 * wrote that did not (past --output, or the caller's end closed or
	 * still full when the run's time was up). */
	struct stk_result *res = &rec->res;
	rec->relayed = true;
	res->stdout_bytes = out[0].bytes - out[0].dropped;
	res->stderr_bytes = out[1].bytes - out[1].dropped;
	res->dropped_bytes = out[0].dropped + out[1].dropped;
	res->output_cut = res->limit_fired == STK_LIMIT_OUTPUT;
	res->stdout_closed = out[0].broken;
	res->stderr_closed = out[1].broken;
}

static json_t *limits_json(const struct plan *plan)
{
	json_t *limits = json_object();
	for (int i = 0; limits && i < STK_LIMIT_COUNT; i++) {
		const struct limit_info *li = &stk_limits[i];
		const char *by = li->by;
		bool on = (plan->limits[i] || li->resource >= 0) &&
			  plan->limits[i] != RLIM_INFINITY;
		/* Without a cgroup: memory per process; tasks counted per
		 * user namespace only. */
		if (i == STK_LIMIT_MEMORY && !plan->cg_memory) {
			by = "RLIMIT_AS (no memory cgroup: each process's "
			     "address space)";
		} else if (i == STK_LIMIT_CPU_TIME && !plan->cgroup) {
			by = "the supervisor's count of the tree's CPU from "
			     "/proc, every 20 ms (RLIMIT_CPU per process a "
			     "second above it)";
		} else if (i == STK_LIMIT_OPEN_FILES && !plan->cg_memory) {
			by = "RLIMIT_NOFILE (no memory cgroup: at most "
			     "--memory / 2 MiB, what a descriptor's buffers "
			     "can hold)";
		} else if (i == STK_LIMIT_TASKS && plan->cg_pids) {
			by = "cgroup pids.max (RLIMIT_NPROC above it as a "
			     "backstop)";
		}
		json_t *v =
			on ? json_pack("{s:I, s:s}", "value",
				       (json_int_t)plan->limits[i], "by", by)
			   : json_null();
		if (!v || json_object_set_new(limits, li->key, v) < 0) {
			json_decref(limits);
			return NULL;
		}
	}
	return limits;
}

void record_denials(struct stk_record *rec, const struct denials *d)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < d->n; i++) {
		const struct denial *den = &d->list[i];
		rec->res.denied_calls += den->count;
		json_t *args = json_array();
		for (unsigned k = 0; args && k < den->kept; k++) {
			json_t *set = json_array();
			for (int a = 0; set && a < 6; a++) {
				char hex[24];
				snprintf(hex, sizeof(hex), "0x%llx",
					 (unsigned long long)den->args[k][a]);
				append(&set, json_string(hex));
			}
			append(&args, set);
		}
		append(&list,
		       json_pack("{s:s, s:o, s:I, s:s?, s:o}", "syscall",
				 den->name, "nr",
				 den->others ? json_null()
					     : json_integer(den->nr),
				 "count", (json_int_t)den->count, "errno",
				 den->errnum ? strerrorname_np(den->errnum)
					     : NULL,
				 "args", args));
	}
	json_decref(rec->denied);
	rec->denied = list;
	if (d->killed_by > 0 && (size_t)d->killed_by <= d->n &&
	    !rec->killed_for)
		rec->killed_for = strdup(d->list[d->killed_by - 1].name);
	rec->res.killed_for_call = rec->killed_for;
	if (!list || (d->killed_by > 0 && !rec->killed_for))
		rec->broken = true;
}

static json_t *landlock_json(const struct plan *plan)
{
	const struct landlock_plan *ll = &plan->landlock;
	json_t *writable = json_array();
	for (size_t i = 0; writable && i < plan->n_ops; i++) {
		const struct mount_op *op = &plan->ops[i];
		if (op->kind == OP_TMPFS || op->kind == OP_DEVICE ||
		    (op->kind == OP_BIND && !op->read_only))
			append(&writable, mount_path(op));
	}
	json_t *scoped = json_array();
	if (ll->scoped) {
		append(&scoped, json_string("abstract-unix-socket"));
		append(&scoped, json_string("signal"));
	}
	const char *tcp = ll->net	 ? "bind and connect denied"
			  : ll->abi >= 4 ? "allowed (network group)"
					 : "not handled (ABI < 4)";
	return json_pack("{s:b, s:i, s:s, s:o, s:s, s:o}", "applied",
			 ll->abi >= 1, "abi", ll->abi, "read",
			 "everywhere in the sandbox's tree", "write", writable,
			 "tcp", tcp, "scoped", scoped);
}

/* The names of the environment the program gets. */
static json_t *env_names(char *const *envp)
{
	json_t *names = json_array();
	for (char *const *e = envp; names && e && *e; e++) {
		char *name = strndup(*e, strcspn(*e, "="));
		if (!name) {
			json_decref(names);
			return NULL;
		}
		append(&names, text_json(name));
		free(name);
	}
	return names;
}

int record_init(struct stk_record *rec, const struct stk_policy *policy,
		const struct plan *plan)
{
	rec->command = json_array();
	for (char **a = plan->argv; rec->command && a && *a; a++)
		append(&rec->command, text_json(*a));
	if (policy->profile_name)
		rec->profile = json_pack(
			"{s:o, s:o}", "name", text_json(policy->profile_name),
			"source", text_json(policy->profile_source));
	record_start(rec);
	rec->res.privileged = plan->privileged;
	rec->host_uid = plan->host_uid;
	rec->host_gid = plan->host_gid;
	/* A layer that is listed here was applied in full, or the run did
	 * not start: setup fails closed. */
	rec->enforced = json_pack(
		"{s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b},"
		" s:{s:s, s:b, s:s, s:o, s:o},"
		" s:{s:b, s:[s]},"
		" s:{s:i, s:i, s:s, s:b, s:b, s:b, s:s},"
		" s:{s:b, s:o},"
		" s:{s:s, s:b},"
		" s:o, s:o, s:{s:b, s:s}}",
		"namespaces", "user", 1, "mount", 1, "pid", 1, "net", 1, "ipc",
		1, "uts", 1, "cgroup", 1, /**/
		"filesystem", "root", "tmpfs", "pivot_root", 1, "old_root",
		"detached", "mounts", mounts_json(plan), "proc_masked",
		proc_masked(),				       /**/
		"network", "namespace", 1, "interfaces", "lo", /**/
		"credentials", "uid", (int)plan->uid, "gid", (int)plan->gid,
		"capabilities", "none", "no_new_privs", 1, "securebits_locked",
		1, "new_session", 1, "fds", "0-2",			   /**/
		"environment", "clean", 1, "names", env_names(plan->envp), /**/
		"supervisor", "init", "stockade init (pid 1)", "reaps_all", 1,
		/**/
		"seccomp", seccomp_json(policy, plan), /**/
		"landlock", landlock_json(plan),       /**/
		"cgroup", "applied", 0, "reason", "not created yet");
	put(&rec->broken, rec->enforced, "limits", limits_json(plan));
	return rec->command && rec->enforced && !rec->broken &&
			       (rec->profile || !policy->profile_name)
		       ? 0
		       : -ENOMEM;
}

void record_start(struct stk_record *rec)
{
	rec->res.version = STK_RESULT_VERSION;
	rec->res.exit_code = -1;
	rec->res.limit_fired = -1;
}

void record_fail(struct stk_record *rec, const struct stk_error *err,
		 int exit_status)
{
	rec->res.verdict = STK_VERDICT_SETUP_ERROR;
	rec->res.exit_status = exit_status;
	if (err && !rec->error)
		stk_error_set(&rec->error, err->errnum, err->step, "%s",
			      err->message);
	rec->res.error = rec->error;
}

struct stk_record *stk_record_new_failed(const struct stk_error *err)
{
	struct stk_record *rec = calloc(1, sizeof(*rec));
	if (!rec)
		return NULL;
	rec->command = json_array();
	record_start(rec);
	rec->res.privileged = geteuid() == 0;
	rec->host_uid = (uid_t)-1;
	rec->host_gid = (gid_t)-1;
	record_fail(rec, err, STK_EXIT_SETUP);
	if (!rec->command || (err && !rec->error)) {
		stk_record_free(rec);
		return NULL;
	}
	return rec;
}

static const char *const verdict_names[] = {
	[STK_VERDICT_OK] = "ok",
	[STK_VERDICT_EXIT] = "exit",
	[STK_VERDICT_SIGNAL] = "signal",
	[STK_VERDICT_SETUP_ERROR] = "setup-error",
	[STK_VERDICT_WALL_LIMIT] = "wall-limit",
	[STK_VERDICT_CPU_LIMIT] = "cpu-limit",
	[STK_VERDICT_MEMORY_LIMIT] = "memory-limit",
	[STK_VERDICT_TASKS_LIMIT] = "tasks-limit",
	[STK_VERDICT_OUTPUT_LIMIT] = "output-limit",
	[STK_VERDICT_SYSCALL_DENIED] = "syscall-denied",
	[STK_VERDICT_CANCELLED] = "cancelled",
};

const char *stk_verdict_name(enum stk_verdict verdict)
{
	return (unsigned)verdict < ARRAY_SIZE(verdict_names)
		       ? verdict_names[verdict]
		       : "unknown";
}

const struct stk_result *stk_record_result(const struct stk_record *r)
{
	return &r->res;
}

const char *stk_record_verdict(const struct stk_record *r)
{
	return stk_verdict_name(r->res.verdict);
}

int stk_record_exit_code(const struct stk_record *r)
{
	return r->res.exit_code;
}

int stk_record_signal(const struct stk_record *r)
{
	return r->res.signal;
}

double stk_record_wall_seconds(const struct stk_record *r)
{
	return r->res.wall_seconds;
}

int stk_record_exit_status(const struct stk_record *r)
{
	return r->res.exit_status;
}

static json_t *signal_name(int sig)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
	if (!abbrev)
		return json_null();
	char name[32];
	snprintf(name, sizeof(name), "SIG%s", abbrev);
	return json_string(name);
}

/* null when the run failed before it had one */
static json_t *host_id(unsigned id)
{
	return id == (unsigned)-1 ? json_null() : json_integer(id);
}

static json_t *nullable_int(int v, int none)
{
	return v == none ? json_null() : json_integer(v);
}

/* A part of the record for the document, or null when there is none. */
static json_t *shared_or_null(json_t *part)
{
	return part ? json_incref(part) : json_null();
}

static json_t *string_or_null(const char *text)
{
	return text ? json_string(text) : json_null();
}

/* The limit the supervisor enforced, by its short name. */
static const char *limit_name(int limit)
{
	return limit == STK_LIMIT_WALL_TIME  ? "wall"
	       : limit == STK_LIMIT_CPU_TIME ? "cpu"
	       : limit == STK_LIMIT_OUTPUT   ? "output"
					     : NULL;
}

static json_t *output_json(const struct stk_result *res)
{
	return json_pack("{s:I, s:I, s:b, s:I, s:b, s:b}", "stdout_bytes",
			 (json_int_t)res->stdout_bytes, "stderr_bytes",
			 (json_int_t)res->stderr_bytes, "cut", res->output_cut,
			 "dropped_bytes", (json_int_t)res->dropped_bytes,
			 "stdout_closed", res->stdout_closed, "stderr_closed",
			 res->stderr_closed);
}

char *stk_record_to_json(const struct stk_record *r)
{
	const struct stk_result *res = &r->res;
	if (r->broken)
		return NULL;
	json_t *error = json_null();
	if (r->error)
		error = json_pack("{s:s, s:i, s:s?, s:o}", "step",
				  r->error->step, "errno", r->error->errnum,
				  "errno_name",
				  strerrorname_np(r->error->errnum), "message",
				  text_json(r->error->message));
	json_t *doc = json_pack(
		"{s:i, s:s, s:O, s:s, s:o, s:o, s:o, s:i, s:o, s:f,"
		" s:{s:f, s:f, s:f}, s:s, s:o, s:o, s:o, s:O}",
		"record_version", STK_RECORD_VERSION, "stockade_version",
		STK_VERSION, "command", r->command, "verdict",
		stk_verdict_name(res->verdict), "exit_code",
		nullable_int(res->exit_code, -1), "signal",
		nullable_int(res->signal, 0), "signal_name",
		signal_name(res->signal), "exit_status", res->exit_status,
		"interrupted_by", signal_name(res->interrupted_by),
		"wall_seconds", res->wall_seconds, "cpu", "user_seconds",
		res->user_seconds, "system_seconds", res->system_seconds,
		"supervisor_seconds", res->supervisor_seconds, "mode",
		res->privileged ? "root" : "unprivileged", "host_uid",
		host_id(r->host_uid), "host_gid", host_id(r->host_gid), "error",
		error, "enforced", r->enforced ? r->enforced : json_null());
	if (!doc)
		return NULL;
	bool broken = false;
	put(&broken, doc, "profile", shared_or_null(r->profile));
	/* After enforced: what the filter refused, as the kernel reported
	 * it to the supervisor. */
	put(&broken, doc, "denied",
	    r->denied ? json_incref(r->denied) : json_array());
	put(&broken, doc, "killed_for_call", string_or_null(r->killed_for));
	put(&broken, doc, "limit_fired",
	    string_or_null(limit_name(res->limit_fired)));
	put(&broken, doc, "output",
	    r->relayed ? output_json(res) : json_null());
	put(&broken, doc, "memory",
	    res->memory_counted ? json_pack("{s:I, s:s, s:I}", "peak_bytes",
					    (json_int_t)res->memory_peak_bytes,
					    "from", r->memory_from, "oom_kills",
					    (json_int_t)res->oom_kills)
				: json_null());
	put(&broken, doc, "tasks",
	    res->tasks_counted
		    ? json_pack("{s:I, s:I}", "peak",
				(json_int_t)res->tasks_peak, "refused_forks",
				(json_int_t)res->refused_forks)
		    : json_null());
	if (r->cpu_from)
		put(&broken, json_object_get(doc, "cpu"), "from",
		    json_string(r->cpu_from));
	char *text =
		broken ? NULL
		       : json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

char *stk_record_summary(const struct stk_record *r)
{
	const struct stk_result *res = &r->res;
	const char *verdict = stk_verdict_name(res->verdict);
	char what[160], *line = NULL;
	if (r->error)
		snprintf(what, sizeof(what), "%s (%s: %s)", verdict,
			 r->error->step, stk_strerror(r->error->errnum));
	else if (r->killed_for)
		snprintf(what, sizeof(what), "%s (%s)", verdict, r->killed_for);
	else if (res->limit_fired >= 0 ||
		 (res->signal && res->verdict != STK_VERDICT_SIGNAL))
		snprintf(what, sizeof(what), "%s", verdict);
	else if (res->signal)
		snprintf(what, sizeof(what), "%s %s", verdict,
			 sigabbrev_np(res->signal) ? sigabbrev_np(res->signal)
						   : "?");
	else if (res->exit_code > 0)
		snprintf(what, sizeof(what), "%s %d", verdict, res->exit_code);
	else
		snprintf(what, sizeof(what), "%s", verdict);
	char peak[48] = "";
	if (res->memory_counted)
		snprintf(peak, sizeof(peak), ", peak %.1f MiB",
			 (double)res->memory_peak_bytes / (1 << 20));
	if (asprintf(&line, "stockade: %s after %.3f s wall, %.3f s CPU%s",
		     what, res->wall_seconds,
		     res->user_seconds + res->system_seconds, peak) < 0)
		return NULL;
	return line;
}

void stk_record_free(struct stk_record *r)
{
	if (!r)
		return;
	json_decref(r->command);
	json_decref(r->profile);
	json_decref(r->enforced);
	json_decref(r->denied);
	free(r->killed_for);
	stk_error_free(r->error);
	free(r);
}
