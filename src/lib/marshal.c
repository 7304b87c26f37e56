/* marshal.c - a policy sealed, and as bytes for another process.
 *
 * Each setter that changes what a run may do notes what it did as the
 * option it amounts to (policy_log): "ro" "/srv:/data", "memory"
 * "268435456".  The bytes are that log, in order, with the command; the
 * other side replays it through stk_policy_set_option on a default
 * policy, so every value passes the same validation there as here - a
 * process that sends a policy is trusted with nothing it could not have
 * set by name.  A sealed policy refuses every setter: it can be shared by
 * any number of threads and runs without a lock. */
#define _GNU_SOURCE
#include "policy.h"

#include "cleanup.h"
#include "error.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_FORMAT 1
#define POLICY_MAX_BYTES (4U << 20)

int policy_sealed(const struct stk_policy *p, const char *step,
		  struct stk_error **err)
{
	if (!p->sealed)
		return 0;
	return stk_error_set(err, EPERM, step,
			     "%s: the policy is sealed: a run's own settings "
			     "go in its job",
			     step);
}

void policy_log(struct stk_policy *p, const char *name, const char *fmt, ...)
{
	struct logged *l = reallocarray(p->log, p->n_log + 1, sizeof(*l));
	if (!l) {
		p->unlogged = "out of memory";
		return;
	}
	p->log = l;
	char *value = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&value, fmt, ap);
	va_end(ap);
	char *key = strdup(name);
	if (n < 0 || !key) {
		free(key);
		free(n < 0 ? NULL : value);
		p->unlogged = "out of memory";
		return;
	}
	p->log[p->n_log++] = (struct logged){.name = key, .value = value};
}

void policy_log_pair(struct stk_policy *p, const char *name, const char *a,
		     const char *b)
{
	/* The text form has one ':' between the two paths. */
	if (strchr(a, ':') || (b && strchr(b, ':'))) {
		p->unlogged = "a path with ':' has no text form";
		return;
	}
	if (b)
		policy_log(p, name, "%s:%s", a, b);
	else
		policy_log(p, name, "%s", a);
}

void policy_log_free(struct stk_policy *p)
{
	for (size_t i = 0; i < p->n_log; i++) {
		free(p->log[i].name);
		free(p->log[i].value);
	}
	free(p->log);
}

void stk_policy_seal(struct stk_policy *p)
{
	p->sealed = true;
}

bool stk_policy_is_sealed(const struct stk_policy *p)
{
	return p->sealed;
}

static json_t *text(const char *s)
{
	return s ? json_string(s) : json_null();
}

int stk_policy_marshal(const struct stk_policy *p, void **bytes, size_t *len,
		       struct stk_error **err)
{
	*bytes = NULL;
	*len = 0;
	if (p->unlogged)
		return stk_error_set(err,
				     p->unlogged[0] == 'o' ? ENOMEM : EINVAL,
				     "marshal", "marshal: %s", p->unlogged);
	json_t *doc =
		json_pack("{s:i, s:[], s:[], s:b, s:n}", "stockade_policy",
			  POLICY_FORMAT, "command", "options",
			  "forward_signals", p->forward_signals, "profile");
	json_t *command = doc ? json_object_get(doc, "command") : NULL;
	json_t *options = doc ? json_object_get(doc, "options") : NULL;
	bool ok = command && options;
	for (char **a = p->argv; ok && a && *a; a++)
		ok = json_array_append_new(command, text(*a)) == 0;
	for (size_t i = 0; ok && i < p->n_log; i++)
		ok = json_array_append_new(
			     options, json_pack("[o, o]", text(p->log[i].name),
						text(p->log[i].value))) == 0;
	if (ok && p->profile_name)
		ok = json_object_set_new(
			     doc, "profile",
			     json_pack("{s:o, s:o}", "name",
				       text(p->profile_name), "source",
				       text(p->profile_source))) == 0;
	char *out = ok ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!out)
		return stk_error_set(err, ENOMEM, "marshal", "out of memory");
	*bytes = out;
	*len = strlen(out);
	return 0;
}

static int bad(struct stk_error **err, const char *what)
{
	return stk_error_set(err, EINVAL, "unmarshal", "policy bytes: %s",
			     what);
}

/* The array of strings at key, or NULL (none, or not one: *wrong). */
static const char **strings(json_t *doc, const char *key, bool *wrong)
{
	json_t *a = json_object_get(doc, key);
	*wrong = !json_is_array(a);
	if (*wrong)
		return NULL;
	size_t n = json_array_size(a);
	const char **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		v[i] = json_string_value(json_array_get(a, i));
		if (!v[i]) {
			free(v);
			*wrong = true;
			return NULL;
		}
	}
	return v;
}

static int replay(struct stk_policy *p, json_t *doc, struct stk_error **err)
{
	static const char *const keys[] = {"stockade_policy", "command",
					   "options", "forward_signals",
					   "profile"};
	const char *key;
	json_t *value;
	json_object_foreach(doc, key, value)
	{
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(keys) && !known; i++)
			known = strcmp(keys[i], key) == 0;
		if (!known)
			return stk_error_set(err, EINVAL, "unmarshal",
					     "policy bytes: unknown key \"%s\"",
					     key);
	}
	json_t *format = json_object_get(doc, "stockade_policy");
	if (!json_is_integer(format) ||
	    json_integer_value(format) != POLICY_FORMAT)
		return bad(err, "not format 1 of a stockade policy");
	json_t *options = json_object_get(doc, "options");
	if (!json_is_array(options))
		return bad(err, "\"options\" is not an array");
	size_t i;
	json_array_foreach(options, i, value)
	{
		const char *name = json_string_value(json_array_get(value, 0));
		const char *text = json_string_value(json_array_get(value, 1));
		if (!json_is_array(value) || json_array_size(value) != 2 ||
		    !name || !text)
			return stk_error_set(err, EINVAL, "unmarshal",
					     "policy bytes: options[%zu] is "
					     "not [name, value]",
					     i);
		struct stk_error *why = NULL;
		int r = stk_policy_set_option(p, name, text, &why);
		if (r < 0)
			r = stk_error_set(err, -r,
					  why ? why->step : "unmarshal",
					  "policy bytes: options[%zu]: %s", i,
					  why ? why->message : "refused");
		stk_error_free(why);
		if (r < 0)
			return r;
	}
	bool wrong;
	_cleanup_free_ const char **argv = strings(doc, "command", &wrong);
	if (wrong)
		return bad(err, "\"command\" is not an array of strings");
	if (!argv)
		return stk_error_set(err, ENOMEM, "unmarshal", "out of memory");
	if (argv[0]) {
		int r = stk_policy_set_command(p, argv, err);
		if (r < 0)
			return r;
	}
	json_t *forward = json_object_get(doc, "forward_signals");
	if (!json_is_boolean(forward))
		return bad(err, "\"forward_signals\" is not a boolean");
	p->forward_signals = json_is_true(forward);
	json_t *profile = json_object_get(doc, "profile");
	if (json_is_null(profile))
		return 0;
	const char *name = json_string_value(json_object_get(profile, "name"));
	const char *source =
		json_string_value(json_object_get(profile, "source"));
	if (!json_is_object(profile) || json_object_size(profile) != 2 ||
	    !name || !source)
		return bad(err, "\"profile\" is not {name, source}");
	if (policy_set_profile(p, name, source) < 0)
		return stk_error_set(err, ENOMEM, "unmarshal", "out of memory");
	return 0;
}

int stk_policy_unmarshal(const void *bytes, size_t len, struct stk_policy **out,
			 struct stk_error **err)
{
	*out = NULL;
	if (!bytes || len > POLICY_MAX_BYTES)
		return stk_error_set(err, E2BIG, "unmarshal",
				     "policy bytes: more than %u bytes",
				     POLICY_MAX_BYTES);
	json_error_t why;
	json_t *doc = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &why);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return stk_error_set(err, EINVAL, "unmarshal",
				     "policy bytes: not a JSON object (%s)",
				     doc ? "another value" : why.text);
	}
	struct stk_policy *p = stk_policy_new();
	int r = p ? replay(p, doc, err)
		  : stk_error_set(err, ENOMEM, "unmarshal", "out of memory");
	json_decref(doc);
	if (r < 0) {
		stk_policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}
