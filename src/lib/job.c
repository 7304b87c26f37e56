/* job.c - the part of a run that is not the policy's.
 *
 * A policy says what any run of it may do; a job says what this one runs:
 * its command, more environment, its input, where its output goes, and
 * limits that can only be lower than the policy's.  The setters validate
 * as the policy's do (the same functions); that a limit is not above the
 * policy's can only be known at the start, where it is checked. */
#define _GNU_SOURCE
#include "job.h"

#include "cleanup.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct stk_job *stk_job_new(void)
{
	struct stk_job *job = calloc(1, sizeof(*job));
	if (job)
		job->stdio[0] = job->stdio[1] = job->stdio[2] = -1;
	return job;
}

void stk_job_free(struct stk_job *job)
{
	if (!job)
		return;
	strv_free(job->argv);
	env_free(job->env, job->n_env);
	free(job->stdin_data);
	for (size_t i = 0; i < job->n_files; i++) {
		free(job->files[i].path);
		free(job->files[i].data);
	}
	free(job->files);
	free(job);
}

int stk_job_set_command(struct stk_job *job, const char *const argv[],
			struct stk_error **err)
{
	return command_copy(&job->argv, argv, err);
}

int stk_job_set_env(struct stk_job *job, const char *name, const char *value,
		    struct stk_error **err)
{
	return env_put(&job->env, &job->n_env, name, value, err);
}

int stk_job_set_limit(struct stk_job *job, enum stk_limit which, uint64_t value,
		      struct stk_error **err)
{
	uint64_t stored;
	int r = limit_value(which, value, &stored, err);
	if (r < 0)
		return r;
	job->limits[which] = stored;
	job->set |= 1U << which;
	if (r > 0)
		job->asked |= 1U << which;
	else
		job->asked &= ~(1U << which);
	return 0;
}

int stk_job_set_stdin(struct stk_job *job, const void *data, size_t len,
		      struct stk_error **err)
{
	if (!data && len)
		return stk_error_set(err, EINVAL, "stdin",
				     "stdin: no bytes for length %zu", len);
	char *copy = bytes_copy(data, len);
	if (!copy)
		return stk_error_set(err, ENOMEM, "stdin", "out of memory");
	free(job->stdin_data);
	job->stdin_data = copy;
	job->stdin_len = len;
	job->has_stdin = true;
	job->stdio[0] = -1; /* the last of the two ways wins */
	return 0;
}

int stk_job_set_stdio(struct stk_job *job, int in, int out, int err_fd,
		      struct stk_error **err)
{
	int fds[3] = {in, out, err_fd};
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (fds[i] < -1 || (fds[i] >= 0 && fstat(fds[i], &st) < 0))
			return stk_error_set(err, EBADF, "stdio",
					     "stdio: fd %d is not open",
					     fds[i]);
	}
	memcpy(job->stdio, fds, sizeof(fds));
	if (in >= 0)
		job->has_stdin = false;
	return 0;
}

int stk_job_add_file(struct stk_job *job, const char *path, const void *data,
		     size_t len, unsigned mode, struct stk_error **err)
{
	char dest[PATH_MAX];
	if (stk_path_normalize(path, dest, sizeof(dest), NULL) < 0 ||
	    strcmp(dest, "/") == 0)
		return stk_error_set(err, EINVAL, "file",
				     "file: \"%s\" is not an absolute path "
				     "without . or .. components",
				     path ? path : "");
	if (mode & ~0777U)
		return stk_error_set(err, EINVAL, "file",
				     "file %s: mode %#o is more than "
				     "permissions (0777)",
				     dest, mode);
	if (!data && len)
		return stk_error_set(err, EINVAL, "file",
				     "file %s: no bytes for length %zu", dest,
				     len);
	if (job->n_files >= JOB_MAX_FILES)
		return stk_error_set(err, E2BIG, "file",
				     "file %s: more than %d files", dest,
				     JOB_MAX_FILES);
	struct job_file *files =
		reallocarray(job->files, job->n_files + 1, sizeof(*files));
	if (!files)
		return stk_error_set(err, ENOMEM, "file", "out of memory");
	job->files = files;
	struct job_file f = {.path = strdup(dest),
			     .data = bytes_copy(data, len),
			     .len = len,
			     .mode = mode ? mode : 0644};
	if (!f.path || !f.data) {
		free(f.path);
		free(f.data);
		return stk_error_set(err, ENOMEM, "file", "out of memory");
	}
	job->files[job->n_files++] = f;
	return 0;
}

void stk_job_set_output(struct stk_job *job, stk_output_fn fn, void *ctx)
{
	job->output = fn;
	job->output_ctx = ctx;
}
