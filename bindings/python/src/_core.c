/* _core.c - stockade._core, the CPython extension over libstockade.
 *
 * Two types and their errors; stockade/__init__.py builds the API that
 * Python users call on them:
 *
 *   Policy    a struct stk_policy: a profile, options and limits set by
 *             name, sealed at its first run so that any number of threads
 *             may run it at once.
 *   Run       a struct stk_run with its job: started by start(), driven by
 *             step() from an event loop (fileno() is its pollable fd) or by
 *             wait(), which blocks with the GIL released.  The output is
 *             kept in memory and, when the caller gave a callable, handed
 *             to it as it comes.
 *
 * The interpreter is never forked: the library clones its own processes,
 * which run only its C code until they execve the program.  The GIL is
 * released around every call that can take longer than a few system calls
 * (the start, a step, the wait, the free); an output callback takes it
 * back for the time of its call.  A Run is used by one thread at a time:
 * a second thread calling into a Run that is busy gets RuntimeError, since
 * the library's handle allows no more. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stockade.h"

static PyObject *StockadeError; /* base of the two below */
static PyObject *ConfigError;	/* a bad option, limit, path: nothing ran */
static PyObject *SetupError;	/* the run could not start (an OSError) */
/* The thread Python runs signal handlers in (threading.main_thread()). */
static unsigned long main_thread;

/* Sets obj.name to value, a new reference it takes. */
static int set_attr(PyObject *obj, const char *name, PyObject *value)
{
	int r = value ? PyObject_SetAttrString(obj, name, value) : -1;
	Py_XDECREF(value);
	return r;
}

/* Raises CLS from a library error: the exception carries errno, step and
 * message as attributes, and SetupError, an OSError, its errno as well. */
static PyObject *raise_error(PyObject *cls, int rc, const struct stk_error *err)
{
	int errnum = err ? err->errnum : -rc;
	const char *step = err && err->step ? err->step : "";
	const char *message =
		err && err->message ? err->message : strerror(errnum);
	/* A message may hold a path: bytes, not always UTF-8. */
	PyObject *text = PyUnicode_DecodeFSDefault(message);
	if (!text)
		return NULL;
	PyObject *exc = cls == SetupError
				? PyObject_CallFunction(cls, "iO", errnum, text)
				: PyObject_CallFunction(cls, "O", text);
	if (!exc) {
		Py_DECREF(text);
		return NULL;
	}
	if (set_attr(exc, "message", text) < 0 || /* takes text */
	    set_attr(exc, "errno", PyLong_FromLong(errnum)) < 0 ||
	    set_attr(exc, "step", PyUnicode_DecodeFSDefault(step)) < 0) {
		Py_DECREF(exc);
		return NULL;
	}
	PyErr_SetObject(cls, exc);
	Py_DECREF(exc);
	return NULL;
}

/* Raises CLS when a library call failed (rc < 0), and frees its error
 * either way; true when it failed.  The error is passed by address so
 * that it is read after the call that fills it, whatever the order in
 * which a caller's arguments are evaluated. */
static bool failed(int rc, struct stk_error **err, PyObject *cls)
{
	if (rc < 0)
		raise_error(cls, rc, *err);
	stk_error_free(*err);
	*err = NULL;
	return rc < 0;
}

/* The exception being raised, taken as one object (its traceback kept),
 * and raised again later: PyErr_GetRaisedException and
 * PyErr_SetRaisedException of Python 3.12, for 3.11. */
static PyObject *take_exception(void)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	return value;
}

static void give_exception(PyObject *value)
{
	PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(value)), value,
		      PyException_GetTraceback(value));
}

/* ---- arguments ----------------------------------------------------- */

/* A str (encoded as the file system encodes names) or bytes, as bytes,
 * without NUL: what the kernel takes for a path, an argument or a value. */
static PyObject *as_bytes(PyObject *o, const char *what)
{
	PyObject *b;
	if (PyUnicode_Check(o)) {
		b = PyUnicode_EncodeFSDefault(o);
	} else if (PyBytes_Check(o)) {
		b = Py_NewRef(o);
	} else {
		return PyErr_Format(PyExc_TypeError,
				    "%s must be str or bytes, not %.100s", what,
				    Py_TYPE(o)->tp_name);
	}
	if (b && memchr(PyBytes_AS_STRING(b), 0, PyBytes_GET_SIZE(b))) {
		Py_DECREF(b);
		return PyErr_Format(PyExc_ValueError, "%s holds a NUL byte",
				    what);
	}
	return b;
}

/* An argv from a sequence of str or bytes: the strings are the owned
 * list's, which must outlive argv. */
struct argv {
	PyObject *items; /* owned: a list of bytes */
	const char **argv;
};

static void argv_release(struct argv *a)
{
	Py_CLEAR(a->items);
	PyMem_Free(a->argv);
	a->argv = NULL;
}

static int argv_from(PyObject *seq, struct argv *a)
{
	*a = (struct argv){0};
	if (PyUnicode_Check(seq) || PyBytes_Check(seq)) {
		PyErr_SetString(PyExc_TypeError,
				"argv must be a sequence of arguments, not one "
				"string");
		return -1;
	}
	PyObject *fast = PySequence_Fast(seq, "argv must be a sequence");
	if (!fast)
		return -1;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
	if (n == 0) {
		Py_DECREF(fast);
		PyErr_SetString(PyExc_ValueError, "argv is empty");
		return -1;
	}
	a->items = PyList_New(n);
	a->argv = PyMem_Calloc((size_t)n + 1, sizeof(*a->argv));
	if (!a->items || !a->argv) {
		Py_DECREF(fast);
		argv_release(a);
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *b = as_bytes(PySequence_Fast_GET_ITEM(fast, i),
				       "an argument");
		if (!b) {
			Py_DECREF(fast);
			argv_release(a);
			return -1;
		}
		PyList_SET_ITEM(a->items, i, b);
		a->argv[i] = PyBytes_AS_STRING(b);
	}
	Py_DECREF(fast);
	return 0;
}

/* The limit an option name ("wall-time", "memory") sets, or -1. */
static int limit_by_name(const char *name)
{
	for (int which = 0; which < STK_LIMIT_COUNT; which++) {
		const char *option = stk_limit_option((enum stk_limit)which);
		if (option && strcmp(option, name) == 0)
			return which;
	}
	return -1;
}

static int limit_arg(const char *name)
{
	int which = limit_by_name(name);
	if (which < 0)
		PyErr_Format(PyExc_ValueError, "no limit is named '%s'", name);
	return which;
}

/* ---- Policy -------------------------------------------------------- */

typedef struct {
	PyObject_HEAD struct stk_policy *policy; /* owned */
} PolicyObject;

static PyTypeObject PolicyType;

static int Policy_init(PolicyObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = {"profile", NULL};
	PyObject *profile = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Policy", kwlist,
					 &profile))
		return -1;
	if (self->policy) {
		PyErr_SetString(PyExc_RuntimeError, "Policy is made once");
		return -1;
	}
	self->policy = stk_policy_new();
	if (!self->policy) {
		PyErr_NoMemory();
		return -1;
	}
	if (profile == Py_None)
		return 0;
	PyObject *name = as_bytes(profile, "profile");
	if (!name)
		return -1;
	struct stk_error *err = NULL;
	int r = stk_policy_load_profile(self->policy, PyBytes_AS_STRING(name),
					&err);
	Py_DECREF(name);
	return failed(r, &err, ConfigError) ? -1 : 0;
}

static void Policy_dealloc(PolicyObject *self)
{
	stk_policy_free(self->policy);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static struct stk_policy *policy_of(PolicyObject *self)
{
	if (!self->policy)
		PyErr_SetString(PyExc_RuntimeError,
				"Policy.__init__ not called");
	return self->policy;
}

static PyObject *Policy_set_option(PolicyObject *self, PyObject *args)
{
	PyObject *name, *value;
	if (!PyArg_ParseTuple(args, "O&O&:set_option", PyUnicode_FSConverter,
			      &name, PyUnicode_FSConverter, &value))
		return NULL;
	struct stk_error *err = NULL;
	int r = -EINVAL;
	if (policy_of(self))
		r = stk_policy_set_option(self->policy, PyBytes_AS_STRING(name),
					  PyBytes_AS_STRING(value), &err);
	Py_DECREF(name);
	Py_DECREF(value);
	if (!self->policy || failed(r, &err, ConfigError))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Policy_set_limit(PolicyObject *self, PyObject *args)
{
	const char *name;
	unsigned long long value;
	if (!PyArg_ParseTuple(args, "sK:set_limit", &name, &value) ||
	    !policy_of(self))
		return NULL;
	int which = limit_arg(name);
	if (which < 0)
		return NULL;
	struct stk_error *err = NULL;
	int r = stk_policy_set_limit(self->policy, (enum stk_limit)which, value,
				     &err);
	if (failed(r, &err, ConfigError))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Policy_limit(PolicyObject *self, PyObject *args)
{
	const char *name;
	if (!PyArg_ParseTuple(args, "s:limit", &name) || !policy_of(self))
		return NULL;
	int which = limit_arg(name);
	if (which < 0)
		return NULL;
	uint64_t v = stk_policy_get_limit(self->policy, (enum stk_limit)which);
	if (v == STK_UNLIMITED)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLongLong(v);
}

static PyObject *Policy_set_command(PolicyObject *self, PyObject *seq)
{
	struct argv a;
	if (!policy_of(self) || argv_from(seq, &a) < 0)
		return NULL;
	struct stk_error *err = NULL;
	int r = stk_policy_set_command(self->policy, a.argv, &err);
	argv_release(&a);
	if (failed(r, &err, ConfigError))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Policy_seal(PolicyObject *self, PyObject *unused)
{
	(void)unused;
	if (!policy_of(self))
		return NULL;
	stk_policy_seal(self->policy);
	Py_RETURN_NONE;
}

static PyObject *Policy_describe(PolicyObject *self, PyObject *unused)
{
	(void)unused;
	char *text = NULL;
	struct stk_error *err = NULL;
	if (!policy_of(self) ||
	    failed(stk_policy_describe(self->policy, &text, &err), &err,
		   ConfigError))
		return NULL;
	PyObject *s = PyUnicode_DecodeFSDefault(text);
	free(text);
	return s;
}

static PyObject *Policy_get_sealed(PolicyObject *self, void *unused)
{
	(void)unused;
	if (!policy_of(self))
		return NULL;
	return PyBool_FromLong(stk_policy_is_sealed(self->policy));
}

static PyObject *Policy_get_command(PolicyObject *self, void *unused)
{
	(void)unused;
	if (!policy_of(self))
		return NULL;
	const char *const *argv = stk_policy_get_command(self->policy);
	if (!argv)
		Py_RETURN_NONE;
	PyObject *list = PyList_New(0);
	for (size_t i = 0; list && argv[i]; i++) {
		PyObject *s = PyUnicode_DecodeFSDefault(argv[i]);
		if (!s || PyList_Append(list, s) < 0)
			Py_CLEAR(list);
		Py_XDECREF(s);
	}
	return list;
}

static PyObject *Policy_get_description(PolicyObject *self, void *unused)
{
	(void)unused;
	if (!policy_of(self))
		return NULL;
	const char *d = stk_policy_get_description(self->policy);
	if (!d)
		Py_RETURN_NONE;
	return PyUnicode_DecodeFSDefault(d);
}

static PyMethodDef Policy_methods[] = {
	{"set_option", (PyCFunction)Policy_set_option, METH_VARARGS,
	 "set_option(name, value)\n--\n\nSets one option as `stockade run`'s "
	 "long option NAME (without dashes) takes VALUE: ('ro', '/srv:/data'), "
	 "('allow', 'network'), ('env', 'NAME=VALUE').  ConfigError names a "
	 "bad "
	 "one."},
	{"set_limit", (PyCFunction)Policy_set_limit, METH_VARARGS,
	 "set_limit(name, value)\n--\n\nSets the limit NAME ('wall-time', "
	 "'memory', ...) to VALUE in the library's units: nanoseconds, bytes, "
	 "or a count; UNLIMITED lifts one that may be lifted."},
	{"limit", (PyCFunction)Policy_limit, METH_VARARGS,
	 "limit(name)\n--\n\nThe limit a run gets, in the library's units; "
	 "None when there is none."},
	{"set_command", (PyCFunction)Policy_set_command, METH_O,
	 "set_command(argv)\n--\n\nThe command a run runs unless its job "
	 "names another."},
	{"seal", (PyCFunction)Policy_seal, METH_NOARGS,
	 "seal()\n--\n\nNo setter works from now on; runs share the policy "
	 "without a lock.  start() seals the policy it runs."},
	{"describe", (PyCFunction)Policy_describe, METH_NOARGS,
	 "describe()\n--\n\nThe system calls the policy allows and denies, "
	 "as text."},
	{NULL, NULL, 0, NULL},
};

static PyGetSetDef Policy_getset[] = {
	{"sealed", (getter)Policy_get_sealed, NULL, "True once sealed.", NULL},
	{"command", (getter)Policy_get_command, NULL,
	 "The command (a list), or None.", NULL},
	{"description", (getter)Policy_get_description, NULL,
	 "The description of the profile loaded, or None.", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PolicyType = {
	PyVarObject_HEAD_INIT(NULL, 0).tp_name = "stockade._core.Policy",
	.tp_basicsize = sizeof(PolicyObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Policy(profile=None)\n--\n\nA sandbox policy: the default "
		  "one, or PROFILE's (a name or a file).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Policy_init,
	.tp_dealloc = (destructor)Policy_dealloc,
	.tp_methods = Policy_methods,
	.tp_getset = Policy_getset,
};

/* ---- Run ----------------------------------------------------------- */

struct buffer {
	char *data;
	size_t len, cap;
};

typedef struct {
	PyObject_HEAD struct stk_run *run; /* owned */
	PyObject *policy;		   /* owned: borrowed by run */
	PyObject *on_output;		   /* owned, or NULL */
	struct buffer out[2];		   /* owned: stdout, stderr */
	bool out_of_memory;		   /* a piece was lost */
	PyObject *callback_error;	   /* owned: what on_output raised */
	bool busy;			   /* a thread is in the library */
	unsigned long owner;		   /* that thread */
	bool cancel_asked;		   /* by on_output, for after_step */
	bool over;
	int rc;			   /* of the start, then of the wait */
	struct stk_record *record; /* owned, once over */
	struct stk_error *error;   /* owned: the start's or the wait's */
} RunObject;

static PyTypeObject RunType;

static int buffer_add(struct buffer *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (!p)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

/* The library hands each piece of output here, in the thread that steps
 * the run, with the GIL released: keep it, then give it to the caller's
 * callable under the GIL.  Returning 1 refuses the stream: after a
 * callback raised, its exception ends the run (see after_step). */
static int on_output(void *ctx, int stream, const void *data, size_t len)
{
	RunObject *self = ctx;
	if (buffer_add(&self->out[stream == 2], data, len) < 0)
		self->out_of_memory = true;
	if (!self->on_output)
		return 0;
	PyGILState_STATE gil = PyGILState_Ensure();
	int refuse = self->callback_error != NULL;
	if (!refuse) {
		PyObject *r = PyObject_CallFunction(
			self->on_output, "iy#", stream, data, (Py_ssize_t)len);
		if (!r) {
			self->callback_error = take_exception();
			refuse = 1;
		}
		Py_XDECREF(r);
	}
	PyGILState_Release(gil);
	return refuse;
}

/* Claims the handle for this thread; false (RuntimeError raised) when
 * another thread is in it, or it was freed. */
static bool claim(RunObject *self)
{
	if (!self->run) {
		PyErr_SetString(PyExc_RuntimeError, "the run is closed");
		return false;
	}
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"the run is in use by another thread");
		return false;
	}
	self->busy = true;
	self->owner = PyThread_get_thread_ident();
	return true;
}

/* Once the run is over, takes its record (stk_run_wait returns at once
 * then). */
static void finish(RunObject *self)
{
	struct stk_record *record = NULL;
	struct stk_error *err = NULL;
	int rc;
	PyThreadState *ts = PyEval_SaveThread();
	rc = stk_run_wait(self->run, &record, &err);
	PyEval_RestoreThread(ts);
	if (record) {
		self->record = record;
		if (!self->error) {
			self->rc = rc;
			self->error = err;
			err = NULL;
		}
	}
	stk_error_free(err);
	self->over = true;
}

/* Kills a run not over and takes its record. */
static void finish_killed(RunObject *self)
{
	stk_run_cancel(self->run);
	finish(self);
}

/* After a step: a callback's exception ends the run, as the program's
 * reader gone would. */
static void after_step(RunObject *self)
{
	if ((self->callback_error || self->cancel_asked) && !self->over)
		stk_run_cancel(self->run);
}

static PyObject *Run_step(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->run && self->over)
		Py_RETURN_TRUE;
	if (!claim(self))
		return NULL;
	if (!self->over) {
		int r;
		PyThreadState *ts = PyEval_SaveThread();
		r = stk_run_step(self->run);
		PyEval_RestoreThread(ts);
		after_step(self);
		if (r == 1)
			finish(self);
	}
	self->busy = false;
	return PyBool_FromLong(self->over);
}

/* Drives the run to its end with the GIL released.  In the main thread
 * it wakes every 100 ms to let Python run its signal handlers: a
 * KeyboardInterrupt there cancels the run, waits for its end, and
 * propagates. */
static PyObject *Run_wait(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->run && self->over)
		Py_RETURN_NONE;
	if (!claim(self))
		return NULL;
	int fd = stk_run_fd(self->run);
	int timeout = PyThread_get_thread_ident() == main_thread ? 100 : -1;
	PyObject *interrupted = NULL;
	while (!self->over && fd >= 0) {
		int r = 0;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		PyThreadState *ts = PyEval_SaveThread();
		if (poll(&pfd, 1, timeout) != 0)
			r = stk_run_step(self->run);
		PyEval_RestoreThread(ts);
		after_step(self);
		if (r == 1)
			break;
		if (!interrupted && PyErr_CheckSignals() < 0) {
			interrupted = take_exception();
			stk_run_cancel(self->run);
		}
	}
	finish(self); /* blocks to the end when the fd could not be made */
	self->busy = false;
	if (interrupted) {
		give_exception(interrupted);
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *Run_fileno(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->run) {
		PyErr_SetString(PyExc_RuntimeError, "the run is closed");
		return NULL;
	}
	int fd = stk_run_fd(self->run);
	if (fd < 0) {
		errno = -fd;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	return PyLong_FromLong(fd);
}

static PyObject *Run_cancel(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->run && self->over)
		Py_RETURN_NONE;
	/* From an on_output callback, inside the library's step: done when
	 * the step returns. */
	if (self->busy && self->owner == PyThread_get_thread_ident()) {
		self->cancel_asked = true;
		Py_RETURN_NONE;
	}
	if (!claim(self))
		return NULL;
	if (!self->over)
		stk_run_cancel(self->run);
	self->busy = false;
	Py_RETURN_NONE;
}

static PyObject *Run_signal(RunObject *self, PyObject *args)
{
	int sig;
	if (!PyArg_ParseTuple(args, "i:signal", &sig))
		return NULL;
	if (!self->run && self->over) {
		errno = ESRCH;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	if (!claim(self))
		return NULL;
	int r = self->over ? -ESRCH : stk_run_signal(self->run, sig);
	self->busy = false;
	if (r < 0) {
		errno = -r;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	Py_RETURN_NONE;
}

static PyObject *bytes_of(const struct buffer *b)
{
	return PyBytes_FromStringAndSize(b->data ? b->data : "",
					 (Py_ssize_t)b->len);
}

/* The run's outcome once it is over: (record as JSON text, stdout,
 * stderr).  Raises what ended it early: a callback's exception, or
 * SetupError (with .record, the JSON) when the program never ran. */
static PyObject *Run_outcome(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->over) {
		PyErr_SetString(PyExc_RuntimeError, "the run is not over");
		return NULL;
	}
	if (self->callback_error) {
		give_exception(Py_NewRef(self->callback_error));
		return NULL;
	}
	if (self->out_of_memory)
		return PyErr_NoMemory();
	char *json = self->record ? stk_record_to_json(self->record) : NULL;
	if (!json)
		return PyErr_NoMemory();
	PyObject *text = PyUnicode_FromString(json);
	free(json);
	if (!text)
		return NULL;
	if (self->rc < 0) {
		raise_error(SetupError, self->rc, self->error);
		PyObject *exc = take_exception();
		if (PyObject_SetAttrString(exc, "record", text) < 0) {
			Py_DECREF(exc);
			Py_DECREF(text);
			return NULL;
		}
		Py_DECREF(text);
		give_exception(exc);
		return NULL;
	}
	return Py_BuildValue("NNN", text, bytes_of(&self->out[0]),
			     bytes_of(&self->out[1]));
}

/* Frees the library's handle and its descriptors now, rather than when
 * the object goes (an exception's traceback can keep it long); a run not
 * over is killed first.  The outcome stays readable. */
static void release(RunObject *self)
{
	Py_CLEAR(self->on_output); /* no callback from here on */
	PyThreadState *ts = PyEval_SaveThread();
	stk_run_free(self->run);
	PyEval_RestoreThread(ts);
	self->run = NULL;
}

static PyObject *Run_close(RunObject *self, PyObject *unused)
{
	(void)unused;
	if (self->run) {
		if (!claim(self))
			return NULL;
		if (!self->over)
			finish_killed(self);
		release(self);
		self->busy = false;
	}
	Py_RETURN_NONE;
}

static PyObject *Run_get_over(RunObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->over);
}

static int Run_traverse(RunObject *self, visitproc visit, void *arg)
{
	Py_VISIT(self->policy);
	Py_VISIT(self->on_output);
	Py_VISIT(self->callback_error);
	return 0;
}

static void Run_dealloc(RunObject *self)
{
	PyObject_GC_UnTrack(self);
	/* A run not over is cancelled and waited for; the sandbox ends at
	 * once, its output is dropped. */
	if (self->run)
		release(self);
	stk_record_free(self->record);
	stk_error_free(self->error);
	free(self->out[0].data);
	free(self->out[1].data);
	Py_CLEAR(self->policy);
	Py_CLEAR(self->on_output);
	Py_CLEAR(self->callback_error);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Run_methods[] = {
	{"fileno", (PyCFunction)Run_fileno, METH_NOARGS,
	 "fileno()\n--\n\nA descriptor readable whenever step() has work."},
	{"step", (PyCFunction)Run_step, METH_NOARGS,
	 "step()\n--\n\nDoes what is ready without waiting; True once the "
	 "run is over."},
	{"wait", (PyCFunction)Run_wait, METH_NOARGS,
	 "wait()\n--\n\nDrives the run to its end, the GIL released."},
	{"cancel", (PyCFunction)Run_cancel, METH_NOARGS,
	 "cancel()\n--\n\nKills the whole sandbox: verdict 'cancelled'."},
	{"signal", (PyCFunction)Run_signal, METH_VARARGS,
	 "signal(sig)\n--\n\nSends SIG to the program."},
	{"close", (PyCFunction)Run_close, METH_NOARGS,
	 "close()\n--\n\nFrees the handle; a run not over is killed."},
	{"outcome", (PyCFunction)Run_outcome, METH_NOARGS,
	 "outcome()\n--\n\n(record JSON, stdout, stderr) of a run over."},
	{NULL, NULL, 0, NULL},
};

static PyGetSetDef Run_getset[] = {
	{"over", (getter)Run_get_over, NULL, "True once the run is over.",
	 NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject RunType = {
	PyVarObject_HEAD_INIT(NULL, 0).tp_name = "stockade._core.Run",
	.tp_basicsize = sizeof(RunObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = "A run, made by start().",
	.tp_traverse = (traverseproc)Run_traverse,
	.tp_dealloc = (destructor)Run_dealloc,
	.tp_methods = Run_methods,
	.tp_getset = Run_getset,
};

/* ---- start --------------------------------------------------------- */

static int job_env(struct stk_job *job, PyObject *env)
{
	PyObject *key, *value;
	Py_ssize_t pos = 0;
	if (!PyDict_Check(env)) {
		PyErr_SetString(PyExc_TypeError, "env must be a dict");
		return -1;
	}
	while (PyDict_Next(env, &pos, &key, &value)) {
		PyObject *k = as_bytes(key, "an env name");
		PyObject *v = value == Py_None
				      ? NULL
				      : as_bytes(value, "an env value");
		struct stk_error *err = NULL;
		int r = -EINVAL;
		if (k && (v || value == Py_None))
			r = stk_job_set_env(job, PyBytes_AS_STRING(k),
					    v ? PyBytes_AS_STRING(v) : NULL,
					    &err);
		bool bad = !k || (!v && value != Py_None) ||
			   failed(r, &err, ConfigError);
		Py_XDECREF(k);
		Py_XDECREF(v);
		if (bad)
			return -1;
	}
	return 0;
}

/* files: an iterable of (path, bytes, mode). */
static int job_files(struct stk_job *job, PyObject *files)
{
	PyObject *it = PyObject_GetIter(files);
	if (!it)
		return -1;
	PyObject *item;
	while ((item = PyIter_Next(it))) {
		PyObject *path;
		Py_buffer data;
		unsigned int mode;
		if (!PyArg_ParseTuple(item, "O&y*I:a file",
				      PyUnicode_FSConverter, &path, &data,
				      &mode)) {
			Py_DECREF(item);
			Py_DECREF(it);
			return -1;
		}
		struct stk_error *err = NULL;
		int r = stk_job_add_file(job, PyBytes_AS_STRING(path), data.buf,
					 (size_t)data.len, mode, &err);
		PyBuffer_Release(&data);
		Py_DECREF(path);
		Py_DECREF(item);
		if (failed(r, &err, ConfigError)) {
			Py_DECREF(it);
			return -1;
		}
	}
	Py_DECREF(it);
	return PyErr_Occurred() ? -1 : 0;
}

/* limits: an iterable of (name, value in the library's units). */
static int job_limits(struct stk_job *job, PyObject *limits)
{
	PyObject *it = PyObject_GetIter(limits);
	if (!it)
		return -1;
	PyObject *item;
	while ((item = PyIter_Next(it))) {
		const char *name;
		unsigned long long value;
		int ok = PyArg_ParseTuple(item, "sK:a limit", &name, &value);
		int which = ok ? limit_arg(name) : -1;
		struct stk_error *err = NULL;
		bool bad = which < 0 ||
			   failed(stk_job_set_limit(job, (enum stk_limit)which,
						    value, &err),
				  &err, ConfigError);
		Py_DECREF(item);
		if (bad) {
			Py_DECREF(it);
			return -1;
		}
	}
	Py_DECREF(it);
	return PyErr_Occurred() ? -1 : 0;
}

static int job_build(struct stk_job *job, PyObject *argv, PyObject *env,
		     Py_buffer *in, PyObject *files, PyObject *limits)
{
	struct stk_error *err = NULL;
	if (argv != Py_None) {
		struct argv a;
		if (argv_from(argv, &a) < 0)
			return -1;
		int r = stk_job_set_command(job, a.argv, &err);
		argv_release(&a);
		if (failed(r, &err, ConfigError))
			return -1;
	}
	if (env != Py_None && job_env(job, env) < 0)
		return -1;
	/* Always an input of its own, empty unless given: the program must
	 * never read the host's stdin. */
	if (failed(stk_job_set_stdin(job, in->buf, (size_t)in->len, &err), &err,
		   ConfigError))
		return -1;
	if (files != Py_None && job_files(job, files) < 0)
		return -1;
	if (limits != Py_None && job_limits(job, limits) < 0)
		return -1;
	return 0;
}

static PyObject *start(PyObject *module, PyObject *args, PyObject *kwds)
{
	(void)module;
	static char *kwlist[] = {"policy", "argv",   "env",	  "stdin",
				 "files",  "limits", "on_output", NULL};
	PyObject *policy, *argv = Py_None, *env = Py_None, *files = Py_None,
			  *limits = Py_None, *callback = Py_None;
	Py_buffer in = {0};
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|$OOy*OOO:start",
					 kwlist, &PolicyType, &policy, &argv,
					 &env, &in, &files, &limits, &callback))
		return NULL;
	if (callback != Py_None && !PyCallable_Check(callback)) {
		PyBuffer_Release(&in);
		return PyErr_Format(PyExc_TypeError,
				    "on_output must be callable");
	}
	struct stk_policy *p = policy_of((PolicyObject *)policy);
	struct stk_job *job = p ? stk_job_new() : NULL;
	if (p && !job)
		PyErr_NoMemory();
	if (!job || job_build(job, argv, env, &in, files, limits) < 0) {
		stk_job_free(job);
		PyBuffer_Release(&in);
		return NULL;
	}
	PyBuffer_Release(&in);

	RunObject *self = PyObject_GC_New(RunObject, &RunType);
	if (!self) {
		stk_job_free(job);
		return NULL;
	}
	memset((char *)self + sizeof(PyObject), 0,
	       sizeof(*self) - sizeof(PyObject));
	self->policy = Py_NewRef(policy);
	self->on_output = callback == Py_None ? NULL : Py_NewRef(callback);
	PyObject_GC_Track(self);
	stk_job_set_output(job, on_output, self);

	/* Sealed first, so that no thread can set the policy while runs
	 * read it. */
	if (!stk_policy_is_sealed(p))
		stk_policy_seal(p);
	struct stk_run *run = NULL;
	struct stk_error *err = NULL;
	int rc;
	self->busy = true;
	self->owner = PyThread_get_thread_ident();
	PyThreadState *ts = PyEval_SaveThread();
	rc = stk_run_start(p, job, &run, &err);
	stk_job_free(job);
	PyEval_RestoreThread(ts);
	self->busy = false;
	self->run = run;
	self->rc = rc;
	self->error = err;
	if (!run) {
		Py_DECREF(self);
		return PyErr_NoMemory();
	}
	/* A Ctrl-C during the start is raised here, the run killed with the
	 * object, rather than at the caller's next line, where the exception's
	 * traceback would keep the sandbox alive. */
	if (PyErr_CheckSignals() < 0) {
		Py_DECREF(self);
		return NULL;
	}
	return (PyObject *)self;
}

/* ---- parsing helpers ----------------------------------------------- */

static PyObject *parse_size(PyObject *module, PyObject *arg)
{
	(void)module;
	const char *text = PyUnicode_AsUTF8(arg);
	uint64_t v;
	struct stk_error *err = NULL;
	if (!text || failed(stk_parse_size(text, &v, &err), &err, ConfigError))
		return NULL;
	return PyLong_FromUnsignedLongLong(v);
}

static PyObject *parse_duration(PyObject *module, PyObject *arg)
{
	(void)module;
	const char *text = PyUnicode_AsUTF8(arg);
	uint64_t v;
	struct stk_error *err = NULL;
	if (!text ||
	    failed(stk_parse_duration(text, &v, &err), &err, ConfigError))
		return NULL;
	return PyLong_FromUnsignedLongLong(v);
}

static PyObject *host_check(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	char *text = NULL;
	struct stk_error *err = NULL;
	int missing = stk_host_check(&text, &err);
	if (failed(missing, &err, SetupError))
		return NULL;
	PyObject *r = Py_BuildValue("(is)", missing, text);
	free(text);
	return r;
}

static PyObject *profiles_text(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	char *text = NULL;
	struct stk_error *err = NULL;
	if (failed(stk_profiles_list(&text, &err), &err, ConfigError))
		return NULL;
	PyObject *r = PyUnicode_DecodeFSDefault(text);
	free(text);
	return r;
}

static PyMethodDef module_methods[] = {
	{"start", (PyCFunction)(void (*)(void))start,
	 METH_VARARGS | METH_KEYWORDS,
	 "start(policy, *, argv=None, env=None, stdin=b'', files=None, "
	 "limits=None, on_output=None)\n--\n\nStarts a run of POLICY and "
	 "returns its Run: the sandbox is made and the program started before "
	 "it returns.  files are (path, bytes, mode), limits (name, value) in "
	 "the library's units, each no looser than the policy's."},
	{"parse_size", parse_size, METH_O,
	 "parse_size(text)\n--\n\n'256M' -> bytes."},
	{"parse_duration", parse_duration, METH_O,
	 "parse_duration(text)\n--\n\n'1.5s' -> nanoseconds."},
	{"host_check", host_check, METH_NOARGS,
	 "host_check()\n--\n\n(missing layers, report) for this host."},
	{"profiles_text", profiles_text, METH_NOARGS,
	 "profiles_text()\n--\n\nThe profiles, a line each."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "stockade._core",
	.m_doc = "libstockade for Python; use the stockade package.",
	.m_size = -1,
	.m_methods = module_methods,
};

static PyObject *new_error(const char *name, PyObject *bases, const char *doc)
{
	return PyErr_NewExceptionWithDoc(name, doc, bases, NULL);
}

PyMODINIT_FUNC PyInit__core(void);
PyMODINIT_FUNC PyInit__core(void)
{
	PyObject *m = PyModule_Create(&module_def);
	if (!m || PyType_Ready(&PolicyType) < 0 || PyType_Ready(&RunType) < 0)
		goto fail;
	PyObject *threading = PyImport_ImportModule("threading");
	PyObject *main =
		threading ? PyObject_CallMethod(threading, "main_thread", NULL)
			  : NULL;
	PyObject *ident = main ? PyObject_GetAttrString(main, "ident") : NULL;
	Py_XDECREF(threading);
	Py_XDECREF(main);
	if (!ident)
		goto fail;
	main_thread = PyLong_AsUnsignedLong(ident);
	Py_DECREF(ident);
	StockadeError = new_error(
		"stockade.StockadeError", PyExc_Exception,
		"What stockade refused or could not do.  Attributes: errno, "
		"step (what failed: an option's name, 'mount /usr', "
		"'execve'), message.");
	PyObject *bases =
		StockadeError ? PyTuple_Pack(2, StockadeError, PyExc_ValueError)
			      : NULL;
	ConfigError = bases ? new_error("stockade.ConfigError", bases,
					"A bad profile, option, limit, file "
					"or argument: nothing ran.")
			    : NULL;
	Py_XDECREF(bases);
	bases = StockadeError ? PyTuple_Pack(2, StockadeError, PyExc_OSError)
			      : NULL;
	SetupError = bases ? new_error("stockade.SetupError", bases,
				       "The sandbox could not be made or the "
				       "program not started; .record holds "
				       "the run record (verdict setup-error).")
			   : NULL;
	Py_XDECREF(bases);
	if (!SetupError ||
	    PyModule_AddObjectRef(m, "StockadeError", StockadeError) < 0 ||
	    PyModule_AddObjectRef(m, "ConfigError", ConfigError) < 0 ||
	    PyModule_AddObjectRef(m, "SetupError", SetupError) < 0 ||
	    PyModule_AddObjectRef(m, "Policy", (PyObject *)&PolicyType) < 0 ||
	    PyModule_AddObjectRef(m, "Run", (PyObject *)&RunType) < 0 ||
	    PyModule_AddStringConstant(m, "VERSION", STK_VERSION) < 0)
		goto fail;
	/* UNLIMITED as the library's value, not -1. */
	PyObject *unlimited = PyLong_FromUnsignedLongLong(STK_UNLIMITED);
	if (!unlimited || PyModule_AddObject(m, "UNLIMITED", unlimited) < 0) {
		Py_XDECREF(unlimited);
		goto fail;
	}
	return m;
fail:
	Py_XDECREF(m);
	return NULL;
}
