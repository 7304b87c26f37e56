/* request.c - a run request's JSON into a job (docs/api.md).
 *
 * The one function that validates what a client asks: every field known,
 * of its type, within its bound; a path relative, without "." or "..";
 * limits no looser than the profile as served.  What comes out is the
 * wire job the runner decodes and the library checks again. */
#define _GNU_SOURCE
#include "serve.h"
#include "wire.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 256
#define MAX_ARG_LEN 65536
#define MAX_ENV 64
#define FILES_DIR "/tmp/"

int request_bad(struct request_error *e, int status, const char *field,
		const char *fmt, ...)
{
	e->status = status;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* The request's limits, by their JSON names. */
static const struct {
	const char *key;
	enum stk_limit which;
	enum { AS_DURATION, AS_SIZE, AS_COUNT } unit;
} limit_keys[] = {
	{"wall_time", STK_LIMIT_WALL_TIME, AS_DURATION},
	{"cpu_time", STK_LIMIT_CPU_TIME, AS_DURATION},
	{"memory", STK_LIMIT_MEMORY, AS_SIZE},
	{"tasks", STK_LIMIT_TASKS, AS_COUNT},
	{"output", STK_LIMIT_OUTPUT, AS_SIZE},
	{"file_size", STK_LIMIT_FILE_SIZE, AS_SIZE},
};

size_t request_limit_count(void)
{
	return sizeof(limit_keys) / sizeof(limit_keys[0]);
}

const char *request_limit_key(size_t i, enum stk_limit *which)
{
	*which = limit_keys[i].which;
	return limit_keys[i].key;
}

static int limit_value(json_t *v, int unit, uint64_t *out, const char *field,
		       struct request_error *e)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int r = unit == AS_DURATION ? stk_parse_duration(s, out, NULL)
			: unit == AS_SIZE   ? stk_parse_size(s, out, NULL)
					    : -EINVAL;
		if (r < 0)
			return request_bad(e, 400, field, "'%s' is not a %s", s,
					   unit == AS_DURATION
						   ? "duration (1.5s)"
					   : unit == AS_SIZE ? "size (256M)"
							     : "whole number");
	} else if (json_is_number(v)) {
		double d = json_number_value(v);
		if (!(d > 0) || !isfinite(d) || d > 1e15)
			return request_bad(e, 400, field,
					   "must be a positive number");
		if (unit == AS_DURATION) {
			*out = (uint64_t)(d * 1e9);
		} else {
			if (!json_is_integer(v))
				return request_bad(e, 400, field,
						   "must be a whole number");
			*out = (uint64_t)json_integer_value(v);
		}
	} else {
		return request_bad(e, 400, field,
				   "must be a number or a string");
	}
	if (*out == 0)
		return request_bad(e, 400, field, "must be above 0");
	return 0;
}

int request_duration(json_t *v, const char *field, uint64_t *ns,
		     struct request_error *e)
{
	return limit_value(v, AS_DURATION, ns, field, e);
}

static int parse_limits(json_t *limits, const struct served_profile *sp,
			struct wire_buf *job, const char *prefix,
			struct request_error *e)
{
	if (!json_is_object(limits))
		return request_bad(e, 400, "limits", "must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(limits, key, v)
	{
		char field[96];
		snprintf(field, sizeof(field), "%slimits.%s", prefix, key);
		size_t i = 0;
		while (i < request_limit_count() &&
		       strcmp(limit_keys[i].key, key))
			i++;
		if (i == request_limit_count())
			return request_bad(e, 400, field, "no such limit");
		uint64_t value;
		if (limit_value(v, limit_keys[i].unit, &value, field, e) < 0)
			return -1;
		uint64_t max = stk_policy_get_limit(sp->policy[0],
						    limit_keys[i].which);
		if (max != STK_UNLIMITED && value > max)
			return request_bad(
				e, 400, field,
				"above the maximum of profile %s here "
				"(%llu %s)",
				sp->name, (unsigned long long)max,
				limit_keys[i].unit == AS_DURATION ? "ns"
				: limit_keys[i].unit == AS_SIZE	  ? "bytes"
								  : "");
		wire_put_limit(job, limit_keys[i].which, value);
	}
	return 0;
}

/* A file's path as a request gives it: relative, plain components. */
int request_check_path(const char *path, size_t len, unsigned max,
		       const char *field, struct request_error *e)
{
	if (len == 0)
		return request_bad(e, 400, field, "empty path");
	if (len > max)
		return request_bad(e, 400, field, "longer than %u bytes", max);
	if (strlen(path) != len)
		return request_bad(e, 400, field, "NUL in the path");
	if (path[0] == '/')
		return request_bad(e, 400, field,
				   "must be relative (files go under " FILES_DIR
				   ")");
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return request_bad(e, 400, field,
					   "'.', '..' or an empty component");
		p += n;
		if (*p == '/')
			p++;
		if (*p == 0 && p[-1] == '/')
			return request_bad(e, 400, field, "ends in '/'");
	}
	return 0;
}

static int base64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648, padded); NULL on anything else. */
static uint8_t *base64_decode(const char *s, size_t len, size_t *out_len)
{
	if (len % 4)
		return NULL;
	uint8_t *out = malloc(len / 4 * 3 + 1);
	size_t n = 0;
	for (size_t i = 0; out && i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				pad++;
				v[j] = 0;
			} else if (pad || (v[j] = base64_value(s[i + j])) < 0) {
				free(out);
				return NULL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[n++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)w;
	}
	*out_len = n;
	return out;
}

static int parse_file(json_t *f, const struct serve_config *c, size_t i,
		      const char *prefix, struct wire_buf *job,
		      struct request_error *e)
{
	char field[96];
	snprintf(field, sizeof(field), "%sfiles[%zu]", prefix, i);
	if (!json_is_object(f))
		return request_bad(e, 400, field, "must be an object");
	json_t *path = NULL, *content = NULL, *encoding = NULL, *mode = NULL;
	const char *key;
	json_t *v;
	json_object_foreach(f, key, v)
	{
		json_t **slot = !strcmp(key, "path")	   ? &path
				: !strcmp(key, "content")  ? &content
				: !strcmp(key, "encoding") ? &encoding
				: !strcmp(key, "mode")	   ? &mode
							   : NULL;
		if (!slot) {
			snprintf(field, sizeof(field), "%sfiles[%zu].%s",
				 prefix, i, key);
			return request_bad(e, 400, field, "unknown field");
		}
		*slot = v;
	}
	snprintf(field, sizeof(field), "%sfiles[%zu].path", prefix, i);
	if (!json_is_string(path))
		return request_bad(e, 400, field, "required, a string");
	if (request_check_path(json_string_value(path),
			       json_string_length(path), c->max_path, field,
			       e) < 0)
		return -1;
	snprintf(field, sizeof(field), "%sfiles[%zu].content", prefix, i);
	if (!json_is_string(content))
		return request_bad(e, 400, field, "required, a string");
	bool b64 = false;
	if (encoding) {
		const char *enc = json_string_value(encoding);
		if (!enc || (strcmp(enc, "utf8") && strcmp(enc, "base64"))) {
			snprintf(field, sizeof(field), "%sfiles[%zu].encoding",
				 prefix, i);
			return request_bad(e, 400, field,
					   "\"utf8\" or \"base64\"");
		}
		b64 = !strcmp(enc, "base64");
	}
	unsigned m = 0644;
	if (mode) {
		json_int_t mv =
			json_is_integer(mode) ? json_integer_value(mode) : -1;
		if (mv < 0 || mv > 0777) {
			snprintf(field, sizeof(field), "%sfiles[%zu].mode",
				 prefix, i);
			return request_bad(e, 400, field,
					   "permission bits, 0 to 511 (0777)");
		}
		m = (unsigned)mv;
	}
	const char *text = json_string_value(content);
	size_t len = json_string_length(content);
	uint8_t *data = NULL;
	if (b64 && !(data = base64_decode(text, len, &len)))
		return request_bad(e, 400, field, "not valid base64");
	char full[4200];
	snprintf(full, sizeof(full), FILES_DIR "%s", json_string_value(path));
	wire_put_file(job, full, m, data ? data : (const uint8_t *)text, len);
	free(data);
	return 0;
}

static int parse_files(json_t *files, const struct serve_config *c,
		       const char *prefix, struct wire_buf *job,
		       struct request_error *e)
{
	char field[96];
	snprintf(field, sizeof(field), "%sfiles", prefix);
	if (!json_is_array(files))
		return request_bad(e, 400, field, "must be an array");
	if (json_array_size(files) > c->max_files)
		return request_bad(e, 400, field, "more than %u files",
				   c->max_files);
	for (size_t i = 0; i < json_array_size(files); i++) {
		json_t *pi = json_object_get(json_array_get(files, i), "path");
		for (size_t j = 0; pi && j < i; j++)
			if (json_equal(pi,
				       json_object_get(json_array_get(files, j),
						       "path"))) {
				snprintf(field, sizeof(field),
					 "%sfiles[%zu].path", prefix, i);
				return request_bad(
					e, 400, field,
					"the same path as files[%zu]", j);
			}
		if (parse_file(json_array_get(files, i), c, i, prefix, job, e) <
		    0)
			return -1;
	}
	return 0;
}

static int parse_strings(json_t *a, const char *field, const char **out,
			 size_t *n, struct request_error *e)
{
	if (!json_is_array(a))
		return request_bad(e, 400, field,
				   "must be an array of strings");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *s = json_array_get(a, i);
		if (!json_is_string(s))
			return request_bad(e, 400, field,
					   "item %zu is not a string", i);
		if (json_string_length(s) > MAX_ARG_LEN ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return request_bad(
				e, 400, field,
				"item %zu: NUL, or longer than %u bytes", i,
				MAX_ARG_LEN);
		if (*n >= MAX_ARGS)
			return request_bad(e, 400, field,
					   "more than %u arguments", MAX_ARGS);
		out[(*n)++] = json_string_value(s);
	}
	return 0;
}

static int parse_env(json_t *env, const char *prefix, struct wire_buf *job,
		     struct request_error *e)
{
	char field[96];
	snprintf(field, sizeof(field), "%senv", prefix);
	if (!json_is_object(env))
		return request_bad(e, 400, field,
				   "must be an object of strings");
	if (json_object_size(env) > MAX_ENV)
		return request_bad(e, 400, field, "more than %u variables",
				   MAX_ENV);
	const char *key;
	json_t *v;
	json_object_foreach(env, key, v)
	{
		snprintf(field, sizeof(field), "%senv.%s", prefix, key);
		bool ok = key[0] && !(key[0] >= '0' && key[0] <= '9') &&
			  strlen(key) < 256;
		for (const char *p = key; ok && *p; p++)
			ok = (*p >= 'A' && *p <= 'Z') ||
			     (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9') || *p == '_';
		if (!ok)
			return request_bad(e, 400, field,
					   "a name is letters, digits and _");
		if (!json_is_string(v) || json_string_length(v) > MAX_ARG_LEN ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return request_bad(e, 400, field,
					   "must be a string without NUL");
		char *pair;
		if (asprintf(&pair, "%s=%s", key, json_string_value(v)) < 0)
			return request_bad(e, 500, field, "out of memory");
		wire_put_str(job, WIRE_TAG_ENV, pair);
		free(pair);
	}
	return 0;
}

static bool allowed_for(const struct token *t, const char *profile)
{
	if (!t || !t->profiles[0])
		return true;
	size_t n = strlen(profile);
	for (const char *p = t->profiles; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, profile, n))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

static const char *const run_fields[] = {
	"profile", "command", "args",	"files",
	"stdin",   "env",     "limits", "network",
};

int request_from_json(const struct serve_config *c, const struct token *t,
		      json_t *root, const char *prefix, struct run_request *out,
		      struct request_error *e)
{
	*out = (struct run_request){0};
	char field[96];
	if (!json_is_object(root))
		return request_bad(e, 400, prefix[0] ? prefix : "body",
				   "must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		size_t i = 0, n = sizeof(run_fields) / sizeof(run_fields[0]);
		while (i < n && strcmp(run_fields[i], key))
			i++;
		if (i == n) {
			snprintf(field, sizeof(field), "%s%s", prefix, key);
			return request_bad(e, 400, field, "unknown field");
		}
	}
	snprintf(field, sizeof(field), "%sprofile", prefix);
	json_t *profile = json_object_get(root, "profile");
	if (!json_is_string(profile))
		return request_bad(e, 400, field, "required, a string");
	const struct served_profile *sp =
		config_profile(c, json_string_value(profile));
	if (!sp)
		return request_bad(
			e, 400, field,
			"no such profile here (GET /v1/profiles lists "
			"them)");
	if (!allowed_for(t, sp->name))
		return request_bad(e, 403, field,
				   "this token may not use profile %s",
				   sp->name);
	out->profile = sp;
	struct wire_buf *job = &out->job;
	wire_put_str(job, WIRE_TAG_PROFILE, sp->name);

	json_t *network = json_object_get(root, "network");
	snprintf(field, sizeof(field), "%snetwork", prefix);
	if (network && !json_is_boolean(network))
		goto fail_type;
	if (json_is_true(network) && !sp->network_allowed) {
		request_bad(e, 400, field,
			    "profile %s may not have network on this server",
			    sp->name);
		goto fail;
	}
	uint8_t net = json_is_true(network);
	wire_put(job, WIRE_TAG_NETWORK, &net, 1);

	json_t *command = json_object_get(root, "command");
	json_t *args = json_object_get(root, "args");
	const char *argv[MAX_ARGS];
	size_t argc = 0;
	snprintf(field, sizeof(field), "%scommand", prefix);
	if (command && (parse_strings(command, field, argv, &argc, e) < 0 ||
			((argc == 0 || !argv[0][0]) &&
			 request_bad(e, 400, field, "no program to run") < 0)))
		goto fail;
	if (args) {
		if (!command)
			for (size_t i = 0; sp->argv[i] && argc < MAX_ARGS; i++)
				argv[argc++] = sp->argv[i];
		snprintf(field, sizeof(field), "%sargs", prefix);
		if (parse_strings(args, field, argv, &argc, e) < 0)
			goto fail;
	}
	for (size_t i = 0; i < argc; i++)
		wire_put_str(job, WIRE_TAG_ARG, argv[i]);

	json_t *in = json_object_get(root, "stdin");
	snprintf(field, sizeof(field), "%sstdin", prefix);
	if (in && !json_is_string(in))
		goto fail_type;
	if (in)
		wire_put(job, WIRE_TAG_STDIN, json_string_value(in),
			 json_string_length(in));
	json_t *env = json_object_get(root, "env");
	if (env && parse_env(env, prefix, job, e) < 0)
		goto fail;
	json_t *files = json_object_get(root, "files");
	if (files && parse_files(files, c, prefix, job, e) < 0)
		goto fail;
	json_t *limits = json_object_get(root, "limits");
	if (limits && parse_limits(limits, sp, job, prefix, e) < 0)
		goto fail;
	if (job->failed) {
		snprintf(field, sizeof(field), "%s",
			 prefix[0] ? prefix : "body");
		request_bad(e, 413, field, "the job is too large");
		goto fail;
	}
	return 0;
fail_type:
	request_bad(e, 400, field, "wrong type");
fail:
	wire_buf_release(job);
	out->profile = NULL;
	return -1;
}

json_t *request_load(const char *body, size_t len, struct request_error *e)
{
	if (len == 0) {
		request_bad(e, 400, "body", "empty: a JSON object is expected");
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		request_bad(e, 400, "body", "not valid JSON (%s, at byte %d)",
			    jerr.text, jerr.position);
	return root;
}
