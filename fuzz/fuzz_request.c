/* fuzz_request - libFuzzer harness for the service's request path: the
 * first byte picks what the rest is.
 *
 *   0: a POST /v1/runs body (request.c): when the front accepts it, the
 *      job it makes must decode in the runner (wire.c) - what the front
 *      lets through, the runner must take, and never the other way round
 *      by accident;
 *   1: a job as a hostile front would send it, straight to the runner's
 *      decoder; 2: the same, decoded for a compile stage.
 *
 *   make fuzz            builds build-fuzz/fuzz_request and runs it briefly
 */
#include "serve.h"
#include "wire.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct serve_config config;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!config.n_profiles) {
		config_defaults(&config);
		if (config_finish(&config) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	struct stk_error *err = NULL;
	struct wire_job job;
	if (data[0] == 1 || data[0] == 2) {
		if (wire_job_decode(data + 1, size - 1, data[0] == 2, &job,
				    &err) == 0)
			wire_job_release(&job);
		stk_error_free(err);
		return 0;
	}
	struct request_error e;
	struct run_request req;
	json_t *root = request_load((const char *)data + 1, size - 1, &e);
	if (root && request_from_json(&config, NULL, root, "", &req, &e) == 0) {
		if (wire_job_decode(req.job.data, req.job.len, false, &job,
				    &err) < 0)
			abort();
		wire_job_release(&job);
		wire_buf_release(&req.job);
	}
	json_decref(root);
	stk_error_free(err);
	return 0;
}
