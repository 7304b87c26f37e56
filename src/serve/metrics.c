/* metrics.c - the front's counters and their Prometheus text (GET
 * /metrics, docs/api.md).  One thread (the front's loop) counts. */
#define _GNU_SOURCE
#include "front.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_LATENCY 14
static const double latency_bounds[N_LATENCY] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
#define N_MEMORY 8
static const double memory_bounds[N_MEMORY] = {
	1 << 20,   4 << 20,   16 << 20,	 64 << 20,
	128 << 20, 256 << 20, 512 << 20, 1024.0 * 1024 * 1024};

struct histogram {
	uint64_t buckets[N_LATENCY + 1];
	double sum;
	uint64_t count;
};

static const char *const reject_names[REJECT_COUNT] = {
	"queue-full", "token-concurrency", "token-rate", "draining"};

#define MAX_VERDICTS 16

static struct {
	uint64_t verdicts[MAX_VERDICTS];
	char verdict_names[MAX_VERDICTS][24];
	size_t n_verdicts;
	uint64_t rejected[REJECT_COUNT];
	uint64_t http[6]; /* by the status's first digit */
	struct histogram latency, queue_wait, memory;
	double cpu_seconds;
} M;

static void histogram_add(struct histogram *h, const double *bounds, size_t n,
			  double v)
{
	size_t i = 0;
	while (i < n && v > bounds[i])
		i++;
	h->buckets[i]++;
	h->sum += v;
	h->count++;
}

static void count_verdict(const char *v)
{
	size_t i = 0;
	while (i < M.n_verdicts && strcmp(M.verdict_names[i], v))
		i++;
	if (i == M.n_verdicts) {
		if (M.n_verdicts == MAX_VERDICTS)
			return;
		snprintf(M.verdict_names[i], sizeof(M.verdict_names[i]), "%s",
			 v);
		M.n_verdicts++;
	}
	M.verdicts[i]++;
}

void metrics_run_done(json_t *record, double seconds)
{
	const char *v = json_string_value(json_object_get(record, "verdict"));
	count_verdict(v ? v : "unknown");
	histogram_add(&M.latency, latency_bounds, N_LATENCY, seconds);
	json_t *cpu = json_object_get(record, "cpu");
	M.cpu_seconds +=
		json_number_value(json_object_get(cpu, "user_seconds")) +
		json_number_value(json_object_get(cpu, "system_seconds"));
	json_t *peak = json_object_get(json_object_get(record, "memory"),
				       "peak_bytes");
	if (json_is_integer(peak))
		histogram_add(&M.memory, memory_bounds, N_MEMORY,
			      (double)json_integer_value(peak));
}

void metrics_queue_wait(double seconds)
{
	histogram_add(&M.queue_wait, latency_bounds, N_LATENCY, seconds);
}

void metrics_rejected(enum reject_reason why)
{
	M.rejected[why]++;
}

void metrics_response(unsigned status)
{
	if (status / 100 < 6)
		M.http[status / 100]++;
}

static void histogram_text(FILE *f, const char *name, const char *help,
			   const struct histogram *h, const double *bounds,
			   size_t n)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cum = 0;
	for (size_t i = 0; i < n; i++) {
		cum += h->buckets[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
			(unsigned long long)cum);
	}
	cum += h->buckets[n];
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
		name, (unsigned long long)cum, name, h->sum, name,
		(unsigned long long)h->count);
}

char *metrics_text(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	fprintf(f, "# HELP stockade_runs_total Runs ended, by verdict.\n"
		   "# TYPE stockade_runs_total counter\n");
	for (size_t i = 0; i < M.n_verdicts; i++)
		fprintf(f, "stockade_runs_total{verdict=\"%s\"} %llu\n",
			M.verdict_names[i], (unsigned long long)M.verdicts[i]);
	fprintf(f,
		"# HELP stockade_runs_in_flight Runs in a sandbox now.\n"
		"# TYPE stockade_runs_in_flight gauge\n"
		"stockade_runs_in_flight %zu\n"
		"# HELP stockade_runs_queued Runs waiting for a worker.\n"
		"# TYPE stockade_runs_queued gauge\n"
		"stockade_runs_queued %zu\n"
		"# HELP stockade_workers Runs that may be in flight at once.\n"
		"# TYPE stockade_workers gauge\n"
		"stockade_workers %u\n"
		"# HELP stockade_runs_kept Runs in the table (queued, running, "
		"or ended and kept).\n"
		"# TYPE stockade_runs_kept gauge\n"
		"stockade_runs_kept %zu\n"
		"# HELP stockade_sessions Sessions not ended.\n"
		"# TYPE stockade_sessions gauge\n"
		"stockade_sessions %zu\n",
		F.in_flight, F.queued, F.c->workers, F.n_runs, sessions_live());
	fprintf(f, "# HELP stockade_rejected_total Run requests refused, by "
		   "reason.\n# TYPE stockade_rejected_total counter\n");
	for (int i = 0; i < REJECT_COUNT; i++)
		fprintf(f, "stockade_rejected_total{reason=\"%s\"} %llu\n",
			reject_names[i], (unsigned long long)M.rejected[i]);
	fprintf(f, "# HELP stockade_http_responses_total Responses, by "
		   "status class.\n"
		   "# TYPE stockade_http_responses_total counter\n");
	for (int i = 1; i < 6; i++)
		fprintf(f,
			"stockade_http_responses_total{code=\"%dxx\"} %llu\n",
			i, (unsigned long long)M.http[i]);
	histogram_text(f, "stockade_run_seconds",
		       "From the request to the run's end.", &M.latency,
		       latency_bounds, N_LATENCY);
	histogram_text(f, "stockade_queue_wait_seconds",
		       "From the request to a worker.", &M.queue_wait,
		       latency_bounds, N_LATENCY);
	histogram_text(f, "stockade_sandbox_memory_peak_bytes",
		       "Peak memory of each run's cgroup.", &M.memory,
		       memory_bounds, N_MEMORY);
	fprintf(f,
		"# HELP stockade_sandbox_cpu_seconds_total CPU time of the "
		"runs' processes.\n"
		"# TYPE stockade_sandbox_cpu_seconds_total counter\n"
		"stockade_sandbox_cpu_seconds_total %.6f\n",
		M.cpu_seconds);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
