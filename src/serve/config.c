/* config.c - the service's settings: embedded defaults, then the config
 * file (INI, docs/serve.md), then the command line; and the profiles it
 * serves, each as the sealed policies the runner applies. */
#define _GNU_SOURCE
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int serve_error(struct stk_error **err, int errnum, const char *step,
		const char *fmt, ...)
{
	if (err && !*err) {
		struct stk_error *e = calloc(1, sizeof(*e));
		if (e) {
			va_list ap;
			va_start(ap, fmt);
			if (vasprintf(&e->message, fmt, ap) < 0)
				e->message = NULL;
			va_end(ap);
			e->errnum = errnum;
			e->step = strdup(step);
			if (!e->message || !e->step) {
				stk_error_free(e);
				e = NULL;
			}
		}
		*err = e;
	}
	return -errnum;
}

void serve_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "stockade serve[%d]: %s\n", (int)getpid(), line);
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The profiles served when the config names none: the built-in ones. */
static const char default_profiles[] = "c,java,node,perl,python,sh";

struct loading {
	struct serve_config *c;
	char profiles[512];
	char network[512];
	char cgroup_parent[256];
	char why[512];
};

int config_defaults(struct serve_config *c)
{
	*c = (struct serve_config){0};
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n > 0 ? (unsigned)n : 1;
	c->queue = 64;
	snprintf(c->user, sizeof(c->user), "nobody");
	c->max_body = 8u << 20;
	c->max_files = 64;
	c->max_path = 255;
	c->max_batch = 16;
	c->max_connections = 256;
	c->connection_timeout = 30;
	c->drain_timeout = 30;
	c->result_ttl = 300;
	c->max_results = 256;
	c->max_sessions = 16;
	c->sessions_per_token = 4;
	c->session_idle_max = 3600;
	c->session_lifetime_max = 3600;
	/* The front holds each run's output until it is answered. */
	c->maxima[STK_LIMIT_OUTPUT] = 1u << 20;
	return 0;
}

static int parse_count(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_seconds(const char *v, unsigned *out)
{
	uint64_t ns;
	if (stk_parse_duration(v, &ns, NULL) < 0 || ns > 86400ull * 1000000000)
		return -1;
	*out = (unsigned)((ns + 999999999) / 1000000000);
	return 0;
}

static bool yes(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* A key of [server] or [limits]; 0, or -1 with ld->why set. */
static int set_key(struct loading *ld, const char *section, const char *key,
		   const char *v)
{
	struct serve_config *c = ld->c;
	int bad = 0;
	if (!strcmp(section, "limits")) {
		for (int i = 0; i < STK_LIMIT_COUNT; i++) {
			const char *opt = stk_limit_option((enum stk_limit)i);
			if (!opt || strcmp(opt, key))
				continue;
			struct stk_policy *p = stk_policy_new();
			struct stk_error *err = NULL;
			int r = p ? stk_policy_set_option(p, key, v, &err) : -1;
			if (r == 0)
				c->maxima[i] = stk_policy_get_limit(
					p, (enum stk_limit)i);
			else
				snprintf(ld->why, sizeof(ld->why), "%s",
					 err ? err->message : "out of memory");
			stk_error_free(err);
			stk_policy_free(p);
			return r < 0 ? -1 : 0;
		}
		snprintf(ld->why, sizeof(ld->why), "[limits] %s: no such limit",
			 key);
		return -1;
	}
	if (strcmp(section, "server")) {
		snprintf(ld->why, sizeof(ld->why), "[%s]: no such section",
			 section);
		return -1;
	}
#define STR(name, field)                                                       \
	if (!strcmp(key, name)) {                                              \
		if (strlen(v) >= sizeof(field))                                \
			bad = 1;                                               \
		else                                                           \
			snprintf(field, sizeof(field), "%s", v);               \
	} else
#define COUNT(name, field, lo, hi)                                             \
	if (!strcmp(key, name)) {                                              \
		bad = parse_count(v, lo, hi, &field);                          \
	} else
#define SECONDS(name, field)                                                   \
	if (!strcmp(key, name)) {                                              \
		bad = parse_seconds(v, &field);                                \
	} else
	/* clang-format off */
	STR("listen", c->listen)
	COUNT("workers", c->workers, 1, 1024)
	COUNT("queue", c->queue, 0, 100000)
	STR("user", c->user)
	STR("tokens", c->tokens_file)
	STR("web", c->web)
	STR("cors-origins", c->cors)
	COUNT("max-files", c->max_files, 0, 4096)
	COUNT("max-path", c->max_path, 1, 4096)
	COUNT("max-batch", c->max_batch, 1, 1024)
	COUNT("max-connections", c->max_connections, 1, 65536)
	SECONDS("connection-timeout", c->connection_timeout)
	SECONDS("drain-timeout", c->drain_timeout)
	SECONDS("result-ttl", c->result_ttl)
	COUNT("max-results", c->max_results, 1, 1000000)
	COUNT("max-sessions", c->max_sessions, 0, 1024)
	COUNT("sessions-per-token", c->sessions_per_token, 1, 1024)
	SECONDS("session-idle-max", c->session_idle_max)
	SECONDS("session-lifetime-max", c->session_lifetime_max)
	STR("profiles", ld->profiles)
	STR("network", ld->network)
	STR("cgroup-parent", ld->cgroup_parent)
	/* clang-format on */
	if (!strcmp(key, "max-body")) {
		bad = stk_parse_size(v, &c->max_body, NULL) < 0 ||
		      c->max_body < 1024 || c->max_body > WIRE_BODY_CAP;
	} else if (!strcmp(key, "confine")) {
		if (!strcmp(v, "strict"))
			c->best_effort_confine = false;
		else if (!strcmp(v, "best-effort"))
			c->best_effort_confine = true;
		else
			bad = 1;
	} else if (!strcmp(key, "insecure-listen")) {
		bad = !yes(v, &c->allow_insecure_listen);
	} else {
		snprintf(ld->why, sizeof(ld->why), "[server] %s: no such key",
			 key);
		return -1;
	}
#undef STR
#undef COUNT
#undef SECONDS
	if (bad) {
		snprintf(ld->why, sizeof(ld->why),
			 "[server] %s: bad value '%s'", key, v);
		return -1;
	}
	return 0;
}

static int on_ini(void *arg, const char *section, const char *key,
		  const char *value)
{
	struct loading *ld = arg;
	return set_key(ld, section, key, value) == 0;
}

static struct loading loading; /* main.c's one config, before the split */

int config_load(struct serve_config *c, const char *path)
{
	loading.c = c;
	FILE *f = fopen(path, "re");
	if (!f) {
		serve_log("--config %s: %s", path, strerror(errno));
		return -1;
	}
	int line = ini_parse_file(f, on_ini, &loading);
	fclose(f);
	if (line != 0) {
		serve_log("--config %s:%d: %s", path, line,
			  loading.why[0] ? loading.why : "not INI");
		return -1;
	}
	return 0;
}

/* A flag of the command line: the key of [server] it sets. */
int config_set(struct serve_config *c, const char *key, const char *value)
{
	loading.c = c;
	if (set_key(&loading, "server", key, value) < 0) {
		serve_log("--%s: %s", key, loading.why);
		return -1;
	}
	return 0;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t len = strcspn(p, ", ");
		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
	}
	return false;
}

/* The profile as served: its limits lowered to the server's maxima, its
 * network group on or off, a session's wall time and no output limit
 * for a session's; sealed.  NULL, logged, when it cannot be made. */
static struct stk_policy *served_policy(const struct serve_config *c,
					const char *name, bool network,
					bool session, const char *cgroup_parent)
{
	struct stk_error *err = NULL;
	struct stk_policy *p = stk_policy_new();
	int r = p ? stk_policy_load_profile(p, name, &err) : -ENOMEM;
	for (int i = 0; r == 0 && i < STK_LIMIT_COUNT; i++) {
		uint64_t max = c->maxima[i];
		if (max && stk_policy_get_limit(p, (enum stk_limit)i) > max)
			r = stk_policy_set_limit(p, (enum stk_limit)i, max,
						 &err);
	}
	if (r == 0)
		r = network ? stk_policy_allow(p, "network", &err)
			    : stk_policy_deny(p, "network", &err);
	if (r == 0 && session)
		r = stk_policy_set_limit(
			p, STK_LIMIT_WALL_TIME,
			(uint64_t)c->session_lifetime_max * 1000000000u, &err);
	if (r == 0 && session)
		r = stk_policy_set_limit(p, STK_LIMIT_OUTPUT, STK_UNLIMITED,
					 &err);
	if (r == 0 && cgroup_parent[0])
		r = stk_policy_set_option(p, "cgroup-parent", cgroup_parent,
					  &err);
	if (r < 0) {
		serve_log("profile %s: %s", name,
			  err ? err->message : strerror(-r));
		stk_error_free(err);
		stk_policy_free(p);
		return NULL;
	}
	stk_policy_seal(p);
	return p;
}

/* One profile as served: its policy, and the same with the network
 * group, for requests that may ask for it; a session's two when it has
 * sessions. */
static int serve_profile(struct serve_config *c, const char *name,
			 const char *network, const char *cgroup_parent)
{
	if (c->n_profiles == SERVE_MAX_PROFILES || strlen(name) >= 64) {
		serve_log("profiles: too many, or a name too long");
		return -1;
	}
	/* Counted at once: whatever fails below, config_release frees
	 * what was made. */
	struct served_profile *sp = &c->profiles[c->n_profiles++];
	*sp = (struct served_profile){0};
	snprintf(sp->name, sizeof(sp->name), "%s", name);
	sp->network_allowed = listed(network, name);
	for (int v = 0; v < 2; v++)
		if (!(sp->policy[v] =
			      served_policy(c, name, v, false, cgroup_parent)))
			return -1;
	const char *about = stk_policy_get_description(sp->policy[0]);
	sp->description = strdup(about ? about : "");
	/* What a request's args follow: the run stage's command when the
	 * profile compiles apart. */
	const char *const *argv = stk_policy_get_command(sp->policy[0]);
	const char *const *compile, *const *run_argv;
	const char *artifact;
	bool compiles = stk_policy_get_compile(sp->policy[0], &compile,
					       &artifact, &run_argv);
	if (compiles)
		argv = run_argv;
	size_t argc = 0;
	while (argv && argv[argc])
		argc++;
	sp->argv = calloc(argc + 1, sizeof(char *));
	if (!sp->description || !sp->argv)
		return -1;
	for (size_t i = 0; i < argc; i++)
		if (!(sp->argv[i] = strdup(argv[i])))
			return -1;
	/* A session's agent (agent.py) is Python: the profile's program
	 * must be CPython, without a compile stage. */
	if (argc && !compiles) {
		const char *base = strrchr(argv[0], '/');
		sp->sessions = !strncmp(base ? base + 1 : argv[0], "python", 6);
	}
	for (int v = 0; sp->sessions && v < 2; v++)
		if (!(sp->session_policy[v] =
			      served_policy(c, name, v, true, cgroup_parent)))
			return -1;
	return 0;
}

int config_finish(struct serve_config *c)
{
	const char *list =
		loading.profiles[0] ? loading.profiles : default_profiles;
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t len = strcspn(p, ", ");
		if (!len)
			break;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (serve_profile(c, name, loading.network,
				  loading.cgroup_parent) < 0)
			return -1;
		p += len;
	}
	if (c->tokens_file[0] && tokens_load(c, c->tokens_file) < 0)
		return -1;
	struct sockaddr_storage ss;
	bool loopback;
	if (parse_listen(c->listen, &ss, &loopback) < 0) {
		serve_log("--listen %s: expected HOST:PORT or [V6]:PORT",
			  c->listen);
		return -1;
	}
	if (!loopback && !c->n_tokens && !c->allow_insecure_listen) {
		serve_log("--listen %s: not a loopback address, and no "
			  "tokens: anyone could run code (set tokens, or "
			  "insecure-listen = yes)",
			  c->listen);
		return -1;
	}
	if (getuid() == 0) {
		struct passwd *pw = getpwnam(c->user);
		if (!pw || pw->pw_uid == 0) {
			serve_log("user %s: %s", c->user,
				  pw ? "is root; the front must not be"
				     : "no such user");
			return -1;
		}
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	return 0;
}

int parse_listen(const char *text, struct sockaddr_storage *ss, bool *loopback)
{
	char host[128];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	size_t n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		return 0;
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -1;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	return 0;
}

const struct served_profile *config_profile(const struct serve_config *c,
					    const char *name)
{
	for (size_t i = 0; i < c->n_profiles; i++)
		if (!strcmp(c->profiles[i].name, name))
			return &c->profiles[i];
	return NULL;
}

void config_release(struct serve_config *c)
{
	for (size_t i = 0; i < c->n_profiles; i++) {
		struct served_profile *sp = &c->profiles[i];
		for (int v = 0; v < 2; v++) {
			stk_policy_free(sp->policy[v]);
			stk_policy_free(sp->session_policy[v]);
		}
		free(sp->description);
		for (size_t j = 0; sp->argv && sp->argv[j]; j++)
			free(sp->argv[j]);
		free(sp->argv);
	}
	free(c->tokens);
	c->n_profiles = 0;
	c->tokens = NULL;
}
