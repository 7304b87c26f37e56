"""RES (resource abuse) and PY (Python-level tricks): attacks.md 3.7, 3.9.

The RES attacks set tight limits of their own in `options`, so that each
run takes a second or two.  Where root mode and unprivileged mode enforce a
limit differently, `verdict` says so per mode: as root the run's cgroups
(memory: the OOM killer, verdict memory-limit; tasks: pids.max, verdict
tasks-limit), without privilege rlimits (RLIMIT_AS: the allocation fails
and the program goes on; RLIMIT_NPROC: fork fails).  `attempts` pins what
each attempt must give, the limits' errnos and the tricks that work alike
("ok"); "SIGxxx" is how a child ended, "Refused" a Python-level check or
payoff that did not come true.
"""
from corpus import DENIED, Attack, E  # noqa: F401

ROOT_MEMORY = {"root": "memory-limit", "unprivileged": "ok"}
ROOT_TASKS = {"root": "tasks-limit", "unprivileged": "ok"}
OK = E("ok")
PAYOFFS = {"payoff-read-secret": E("ENOENT"), "payoff-write-host": E("EROFS"),
           "payoff-connect-host": E("EPERM")}
# The python profile allows IPv4 and IPv6 sockets in the run's own network
# namespace: the host's loopback listener is not there to answer.
IN_PROFILE_NETWORK = {"profile": {"payoff-connect-host": E("ECONNREFUSED")}}
RLIMITS = ["AS", "CORE", "CPU", "DATA", "FSIZE", "MEMLOCK", "MSGQUEUE", "NICE", "NOFILE",
           "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"]
NO_CORE = E("none")

ENTRIES = [
    Attack("RES-01", "fork-bomb", "c/res01_fork_bomb.c", "limit",
           "every process forks for 0.5 s: EAGAIN at --tasks 32 (pids cgroup as root: "
           "tasks-limit; RLIMIT_NPROC without privilege), then fork-and-exit churn works",
           errnos=E("EAGAIN"), attempts={"fork-bomb": E("EAGAIN"), "fork-churn": OK},
           verdict=ROOT_TASKS, options=("--tasks", "32", "--wall-time", "5s")),
    Attack("RES-02", "thread-bomb", "c/res02_thread_bomb.c", "limit",
           "threads with 16 KiB stacks until pthread_create fails: EAGAIN at --tasks 32",
           errnos=E("EAGAIN"), attempts={"pthread-create-until-fail": E("EAGAIN")},
           verdict=ROOT_TASKS,
           options=("--tasks", "32", "--memory", "64M", "--wall-time", "5s")),
    Attack("RES-03", "anon-memory", "c/res03_anon_memory.c", "limit",
           "mlock of 1 GiB and mlockall fail at the run's own 64 KiB RLIMIT_MEMLOCK; "
           "malloc+memset in a loop: the cgroup's OOM killer as root, malloc NULL at "
           "RLIMIT_AS without privilege",
           errnos=E("ENOMEM"),
           attempts={"mlock-1G": E("ENOMEM"), "mlock2-onfault-1G": E("ENOMEM"),
                     "mlockall-current-future": E("ENOMEM"), "munlockall": OK,
                     "malloc-64M-until-fail": E("ENOMEM")},
           verdict=ROOT_MEMORY, options=("--memory", "128M", "--wall-time", "5s")),
    Attack("RES-04", "noreserve-overcommit", "c/res04_noreserve_overcommit.c", "limit",
           "1 TiB NORESERVE, POPULATE, shmem, sparse tmpfs file, THP, mremap: as root the "
           "toucher is OOM-killed (the tmpfs fills first: SIGBUS), without privilege "
           "RLIMIT_AS refuses the mappings",
           errnos=E("ok", "ENOMEM"),
           attempts={"touch-anon-1T-noreserve": E("SIGKILL"), "touch-anon-populate": E("SIGKILL"),
                     "touch-shared-anon-1T": E("SIGKILL"), "touch-tmpfs-sparse": E("SIGBUS"),
                     "touch-anon-hugepage": E("SIGKILL"), "touch-mremap-grow": E("SIGKILL"),
                     "ftruncate-sparse": OK, "madvise-hugepage": OK, "mmap-64M": OK},
           verdict=ROOT_MEMORY,
           options=("--memory", "128M", "--file-size", "1G", "--wall-time", "5s")),
    Attack("RES-05", "tmpfs-shm-fill", "c/res05_tmpfs_shm_fill.c", "limit",
           "/tmp and /dev/shm fill to ENOSPC (an unlinked open file keeps its space); a memfd "
           "is bounded by the memory cgroup as root, and without one (RLIMIT_AS counts no "
           "memfd) memfd_create is off",
           errnos=E("ENOSPC"),
           attempts={"write-tmp-until-fail": E("ENOSPC"), "write-tmp-unlinked-held": E("ENOSPC"),
                     "write-tmp-after-close": OK, "write-shm-until-fail": E("ENOSPC"),
                     "write-shm-unlinked-held": E("ENOSPC"), "write-shm-after-close": OK,
                     "memfd-create": OK, "memfd-ftruncate-1T": E("EFBIG")},
           mode_attempts={"unprivileged": {"memfd-create": E("ENOSYS"),
                                           "memfd-ftruncate-1T": E("EBADF"),
                                           "memfd-write-until-fail": OK}},
           verdict=ROOT_MEMORY,
           options=("--memory", "128M", "--file-size", "1G", "--wall-time", "5s")),
    Attack("RES-06", "ipc-persistence", "c/res06_ipc_persistence.c", "limit",
           "SysV shm, msg and sem filled and left (POSIX queues: ENOSYS): none visible at "
           "the start (a fresh IPC namespace), shm bounded by the memory cgroup as root "
           "(OOM); without one (RLIMIT_AS counts no detached segment, semaphore set or "
           "queued message) System V IPC is off",
           errnos=E("ok"),
           attempts={"sysvipc-shm-empty": OK, "sysvipc-msg-empty": OK, "sysvipc-sem-empty": OK,
                     "mq-of-earlier-run": E("ENOSYS", "ENOENT"), "shmget-1G": OK,
                     "shmat-1G": E("ok", "ENOMEM"), "touch-shm-1G": E("SIGKILL"),
                     "touch-shm-segments": E("SIGKILL"),
                     "shm-segments-until-fail": E("ENOSPC", "ENOMEM"),
                     "msgsnd-until-full": E("EAGAIN"), "mq-open": E("ENOSYS"),
                     "mq-send-until-full": E("EAGAIN"), "mq-open-until-fail": E("EMFILE")},
           mode_attempts={"unprivileged": {"shmget-1G": E("ENOSYS"), "shmat-1G": E("ENOSYS"),
                                           "shm-segments-until-fail": E("ENOSYS"),
                                           "shm-left": E("ENOSYS"), "msgget": E("ENOSYS"),
                                           "msgsnd-until-full": E("ENOSYS"),
                                           "semget-100-sets": E("ENOSYS")}},
           verdict=ROOT_MEMORY, options=("--memory", "128M", "--wall-time", "5s")),
    Attack("RES-07", "pagecache-io-pressure", "c/res07_pagecache_io_pressure.c", "denied",
           "reads, writes, fsync and fadvise(DONTNEED) of host files work (measured, not "
           "blocked); sync and syncfs are not in the policy; drop_caches does not open",
           attempts={"read-usr": OK, "open-tmp-big": OK, "write-16M": OK, "fsync": OK,
                     "fdatasync": OK, "sync": E("ENOSYS"), "syncfs-usr": E("ENOSYS"),
                     "open-host-file": OK, "fadvise-dontneed-host-file": OK,
                     "open-drop-caches-write": E("EACCES", "EROFS")},
           options=("--memory", "128M", "--wall-time", "5s")),
    Attack("RES-08", "disk-inode-fill", "c/res08_disk_inode_fill.c", "limit",
           "inodes (ENOSPC at nr_inodes), names, depth, fallocate and writes (ENOSPC, EFBIG) "
           "of the tmpfs; a write past --file-size 8M dies of SIGXFSZ (verdict signal: a "
           "signal alone is no evidence of a limit, docs/record.md)",
           attempts={"inodes-until-fail": E("ENOSPC"), "name-256": E("ENAMETOOLONG"),
                     "name-255": OK, "nest-1000": OK, "getcwd-deep": E("ERANGE"),
                     "fallocate-keep-size-1T": E("EFBIG"), "fallocate-1T": E("EFBIG"),
                     "write-past-file-size-ignored": E("EFBIG"),
                     "write-until-fail": E("ENOSPC")},
           verdict="signal:SIGXFSZ",
           options=("--file-size", "8M", "--memory", "128M", "--wall-time", "5s")),
    Attack("RES-09", "output-flood", "c/res09_output_flood.c", "limit",
           "1 MiB blocks to stdout (no newline, NUL bytes) and stderr: cut and killed at "
           "--output 1M",
           verdict="output-limit", options=("--output", "1M", "--wall-time", "5s")),
    Attack("RES-10", "cpu-spin", "c/res10_cpu_spin.c", "limit",
           "SCHED_FIFO, SCHED_DEADLINE, nice -20, RT I/O priority and their rlimits refused; "
           "pinning works; spinning on every CPU ends at --cpu-time 1s",
           attempts={"sched-fifo-99": E("EPERM"), "sched-deadline": E("ENOSYS"),
                     "setpriority-minus20": E("EACCES"), "ioprio-set-rt": E("ENOSYS"),
                     "setrlimit-rtprio-99": E("EPERM"), "setrlimit-nice-40": E("EPERM"),
                     "setaffinity-cpu0": OK},
           verdict="cpu-limit", options=("--cpu-time", "1s", "--wall-time", "5s")),
    Attack("RES-11", "uninterruptible-c-compute", "c/res11_uninterruptible_c_compute.c",
           "limit",
           "every signal blocked (SIGXCPU too) in a tight loop: ended from outside at "
           "--cpu-time 1s (counted from the cgroup, or from /proc without one)",
           attempts={"block-all-signals": OK},
           verdict="cpu-limit", options=("--cpu-time", "1s", "--wall-time", "5s")),
    Attack("RES-12", "signal-resistance", "c/res12_signal_resistance.c", "limit",
           "signals ignored, caught and blocked, init out of reach (EPERM), SIGKILL and SIGSTOP "
           "unignorable (EINVAL): the spinners end at --wall-time 1s",
           attempts={**{f"ignore-{s}": OK for s in ("SIGTERM", "SIGINT", "SIGHUP", "SIGXCPU",
                                                    "SIGXFSZ", "SIGALRM", "SIGPIPE", "SIGUSR1")},
                     "handle-SIGUSR2": OK, "handle-SIGQUIT": OK,
                     "ignore-SIGKILL": E("EINVAL"), "ignore-SIGSTOP": E("EINVAL"),
                     "block-all-signals": OK, "kill-init-SIGTERM": E("EPERM"),
                     "kill-init-SIGKILL": E("EPERM"), "init-still-parent": OK,
                     "fork-spinner": OK},
           verdict="wall-limit", options=("--wall-time", "1s")),
    Attack("RES-13", "sleep-forever-pipe-held", "c/res13_sleep_forever_pipe_held.c", "limit",
           "pause, a silent pipe, futex, select, nanosleep and a daemon holding stdout: no CPU, "
           "no EOF; --wall-time 1s ends the run and kills them all",
           attempts={"pipe": OK, "fork-pause": OK, "fork-read-pipe": OK,
                     "fork-futex-wait": OK, "fork-select": OK, "fork-daemon": OK},
           verdict="wall-limit", options=("--wall-time", "1s")),
    Attack("RES-14", "daemonize-orphans-zombies", "c/res14_daemonize_orphans_zombies.c",
           "contained",
           "subreaper, no parent-death signal, own group, a setsid daemon, vfork chain, 100 "
           "zombies: the run ends when the main process does, and nothing remains (H6)",
           attempts={"set-child-subreaper": OK, "clear-pdeathsig": OK, "setpgid-own-group": OK,
                     "pipe": OK, "fork-daemon": OK, "daemon-started": OK,
                     "vfork-chain-20": OK, "zombies-100": OK},
           options=("--wall-time", "5s")),
    Attack("RES-15", "cgroup-escape-tamper", "c/res15_cgroup_escape_tamper.c", "denied",
           "no cgroup file system (ENOENT), a read-only root (EROFS), no mount (EPERM); the "
           "cgroup namespace shows the run's groups as its root",
           errnos=E("ENOENT"),
           attempts={"read-proc-self-cgroup": OK, "own-cgroup-is-namespace-root": OK,
                     "mkdir-sys": E("EROFS"), "mkdir-tmp-cg": OK,
                     "mount-cgroup-v1-memory": E("EPERM"), "mount-cgroup2": E("EPERM"),
                     "fsopen-cgroup2": E("EPERM"), "open-proc1-root-sys": E("EACCES")},
           options=("--wall-time", "5s")),
    Attack("RES-16", "fd-exhaustion", "c/res16_fd_exhaustion.c", "denied",
           "EMFILE at --open-files 256, no raise, no high fd; in-flight fds stop at "
           "ETOOMANYREFS, 1 MiB pipes at pipe-user-pages-soft (EPERM)",
           attempts={"open-until-fail": E("EMFILE"), "setrlimit-nofile-hard": OK,
                     "setrlimit-nofile-raise": E("EPERM"), "dup2-high": E("EBADF"),
                     "fcntl-dupfd-high": E("EINVAL"), "socketpair": OK,
                     "scm-rights-until-fail": E("ETOOMANYREFS"), "pipes-until-fail": E("EMFILE"),
                     "pipe-grow-1M-until-fail": E("EPERM")},
           options=("--open-files", "256", "--memory", "512M", "--wall-time", "5s")),
    Attack("RES-17", "per-uid-kernel-counters", "c/res17_per_uid_kernel_counters.c", "denied",
           "inotify, fanotify, POSIX queues, keys, user namespaces out of reach; queued "
           "signals stop at RLIMIT_SIGPENDING, which must leave the budget of the user "
           "namespace's owner unexhausted",
           attempts={"inotify-init1": E("ENOSYS"), "inotify-add-watch": E("ENOSYS"),
                     "fanotify-init": E("ENOSYS"), "mq-open-until-fail": E("ENOSYS"),
                     "sigqueue-until-fail": E("EAGAIN"), "sigqueue-below-owner-budget": OK,
                     "add-key": E("EPERM"), "keyctl-join-session": E("EPERM"),
                     "unshare-user": E("EPERM"), "clone-newuser": E("EPERM")},
           options=("--wall-time", "5s")),
    Attack("RES-18", "argv-env-bloat", "c/res18_argv_env_bloat.c", "denied",
           "RLIMIT_STACK cannot grow; execve of 10 MB of arguments, a 100 MB environment or a "
           "200 KiB argument fails with E2BIG; 1 MB of arguments works",
           attempts={"setrlimit-stack-unlimited": E("EPERM"), "setrlimit-stack-double": E("EPERM"),
                     "execve-10M-args": E("E2BIG"), "execve-100M-env": E("E2BIG"),
                     "execve-200K-arg": E("E2BIG"), "execve-1M-args": OK},
           options=("--wall-time", "5s")),
    Attack("RES-19", "core-dumps", "c/res19_core_dumps.c", "killed",
           "RLIMIT_CORE stays 0; crashing children dump no core, none appears; the program's "
           "own abort is the verdict",
           attempts={"setrlimit-core-unlimited": E("EPERM"), "setrlimit-core-1M": E("EPERM"),
                     "set-dumpable": OK, "child-abort": E("SIGABRT"), "child-segv": E("SIGSEGV"),
                     "child-quit": E("SIGQUIT"), "core-dumped-abort": NO_CORE,
                     "core-dumped-segv": NO_CORE, "core-dumped-quit": NO_CORE,
                     "core-files-in-cwd": NO_CORE},
           verdict="signal:SIGABRT", options=("--wall-time", "5s")),
    Attack("RES-20", "timers-signals-flood", "c/res20_timers_signals_flood.c", "denied",
           "POSIX timers at 1 us until EAGAIN (RLIMIT_SIGPENDING), timerfds until EMFILE, "
           "setitimer, alarm and nanosleep floods: bounded and freed with the run",
           attempts={"timer-create-until-fail": E("EAGAIN"), "sigqueue-with-timers": E("EAGAIN"),
                     "setitimer-1us": OK, "timerfd-until-fail": E("EMFILE"),
                     "alarm-every-ms": OK, "nanosleep-1ns-loop": OK},
           options=("--open-files", "256", "--wall-time", "5s")),

    Attack("RES-21", "kernel-buffers", "c/res21_kernel_buffers.c", "limit",
           "socket and pipe buffers grown (SO_SNDBUF, SO_RCVBUF, F_SETPIPE_SZ) and every "
           "descriptor filled, listeners and datagram queues too, in 3 processes: as root the "
           "cgroup counts them (OOM); without one the buffers stay at their defaults (EPERM), "
           "RLIMIT_NOFILE is --memory / 2 MiB, and the run holds them to --wall-time",
           attempts={"setsockopt-sndbuf-8M": OK, "setsockopt-rcvbuf-8M": OK,
                     "setsockopt-sndbufforce-8M": E("EPERM"),
                     "setsockopt-sndbuf-level-highbits": OK, "setsockopt-keepalive": OK,
                     "fcntl-setpipe-sz-1M": OK, "fcntl-getpipe-sz": OK,
                     "nofile-within-memory": E("E2BIG"), "fill-until-emfile": E("EMFILE")},
           mode_attempts={"unprivileged": {
               "setsockopt-sndbuf-8M": E("EPERM"), "setsockopt-rcvbuf-8M": E("EPERM"),
               "setsockopt-sndbuf-level-highbits": E("EPERM"), "fcntl-setpipe-sz-1M": E("EPERM"),
               "nofile-within-memory": OK}},
           verdict={"root": "memory-limit", "unprivileged": "wall-limit"},
           options=("--memory", "128M", "--tasks", "8", "--wall-time", "3s")),

    Attack("PY-01", "builtins-tamper", "py/py01_builtins_tamper.py", "contained",
           "replacing, adding to, clearing and refilling builtins works; the payoffs meet "
           "the kernel",
           attempts={"replace-builtin-open": OK, "open-is-replaced": OK,
                     "setitem-builtins-dict": OK, "superglobal-seen": OK,
                     "clear-and-refill-builtins": OK, "reimport-builtins": OK,
                     "builtins-dict-init": OK, **PAYOFFS},
           policy_attempts=IN_PROFILE_NETWORK),
    Attack("PY-02", "compile-reads-file", "py/py02_compile_reads_file.py", "contained",
           "compile() tracebacks and linecache read the sandbox's files only: no secret, no "
           "host fd",
           attempts={"compile-trace-ro-canary": OK, "linecache-etc-passwd": OK,
                     "payoff-compile-trace-secret": E("Refused"),
                     "payoff-linecache-secret": E("Refused"),
                     **{f"payoff-compile-trace-fd{fd}": E("Refused") for fd in range(3, 8)},
                     "payoff-read-secret": E("ENOENT")}),
    Attack("PY-03", "frame-walk", "py/py03_frame_walk.py", "contained",
           "frame walks reach __import__ and os.system: they run, inside only",
           attempts={"frame-walk-import": OK, "getframe-f-back-builtins": OK,
                     "os-system-inside": OK, "payoff-system-write-host": E("Refused"),
                     **PAYOFFS},
           policy_attempts=IN_PROFILE_NETWORK),
    Attack("PY-04", "function-internals", "py/py04_function_internals.py", "contained",
           "closures, __globals__, __defaults__, __code__ and a builtin's __self__ are open; "
           "the payoffs meet the kernel",
           attempts={"closure-cell": OK, "func-globals": OK, "func-defaults": OK,
                     "defaults-changed": OK, "swap-code": OK, "code-swapped": OK,
                     "builtin-self-is-builtins": OK, "import-through-builtin-self": OK,
                     **PAYOFFS},
           policy_attempts=IN_PROFILE_NETWORK),
    Attack("PY-05", "subclasses-gc-walk", "py/py05_subclasses_gc_walk.py", "contained",
           "object.__subclasses__ and gc walks find FileIO, os.system and importers; what they "
           "reach is the sandbox",
           attempts={"find-fileio": OK, "find-wrap-close": OK, "wrap-close-system": OK,
                     "builtin-importer-load": OK, "gc-modules": OK, "gc-referrers": OK,
                     "payoff-system-write-host": E("Refused"), **PAYOFFS},
           policy_attempts=IN_PROFILE_NETWORK),
    Attack("PY-06", "file-type-reconstruction", "py/py06_file_type_reconstruction.py",
           "contained",
           "the file type taken from sys.stdout opens what open() opens, and no more",
           attempts={"type-of-stdout-raw": OK, "type-of-open-file": OK,
                     "payoff-read-secret": E("ENOENT"), "payoff-write-host": E("EROFS"),
                     "payoff-write-host-existing": E("EROFS"),
                     "payoff-reinit-secret": E("ENOENT"), "payoff-reinit-write-host": E("EROFS")}),
    Attack("PY-07", "bytecode-forge", "py/py07_bytecode_forge.py", "killed",
           "forged bytecode reads memory at will and crashes (no core dump); the payoffs "
           "before meet the kernel; the crash is the verdict",
           attempts={"empty-bytecode": E("SystemError"), "child-empty-bytecode": E("SIGSEGV"),
                     "child-forged-load-const": E("SIGSEGV"),
                     "core-dumped-empty-bytecode": NO_CORE,
                     "core-dumped-forged-load-const": NO_CORE, **PAYOFFS},
           policy_attempts=IN_PROFILE_NETWORK, verdict="signal:SIGSEGV"),
    Attack("PY-08", "cpython-crashers", "py/py08_cpython_crashers.py", "contained",
           "CPython's crasher classes, each in its own python3: they exit, raise or crash, "
           "never dump core; the program runs to its end",
           attempts={**{f"core-dumped-{name}": NO_CORE for name in (
               "gc-half-built-tuple", "stale-class-dict", "cyclegc-mutation", "c-stack-overflow",
               "trace-at-recursion-limit", "warnings-at-shutdown", "catastrophic-regex",
               "bases-cycle", "load-fast-past-locals")},
               "core-files-in-cwd": NO_CORE},
           options=("--wall-time", "20s")),
    Attack("PY-09", "c-level-dos", "py/py09_c_level_dos.py", "limit",
           "allocations past memory raise MemoryError; a regex backtracking in C with "
           "signals ignored ends at --cpu-time 1s",
           attempts={"bytes-1T": E("MemoryError"), "bytearray-100G": E("MemoryError"),
                     "list-10G-items": E("MemoryError"), "ignore-SIGALRM": OK,
                     "ignore-SIGTERM": OK, "ignore-SIGXCPU": OK, "ignore-SIGINT": OK},
           verdict="cpu-limit", options=("--cpu-time", "1s", "--wall-time", "5s")),
    Attack("PY-10", "ctypes-raw-syscalls", "py/py10_ctypes_raw_syscalls.py", "killed",
           "raw calls through ctypes answer as in C (EPERM, ENOSYS); int 0x80 from machine code "
           "ends the run: syscall-denied",
           attempts={**{name: E("EPERM") for name in (
               "keyctl", "unshare-newuser", "mount", "io-uring-setup", "bpf", "perf-event-open",
               "ptrace-peek", "socket-inet", "socket-inet-highbits")},
               "clone3": E("ENOSYS"), "unknown-1000": E("ENOSYS"),
               "posixsubprocess-true": OK, "posix-spawn-true": OK,
               "child-string-at-0": E("SIGSEGV"), "core-dumped-string-at-0": NO_CORE},
           # the python profile allows IPv4 (its own loopback); the high
           # bits change nothing the kernel sees, so that form works too
           policy_attempts={"profile": {"socket-inet": OK, "socket-inet-highbits": OK}},
           verdict="syscall-denied"),
    Attack("PY-11", "rlimit-raise", "py/py11_rlimit_raise.py", "denied",
           "every limit has hard = soft; none can be raised (ValueError, EPERM), nor another "
           "process's read or set (EPERM)",
           errnos=E("ValueError", "EPERM"),
           attempts={**{f"soft-is-hard-{name}": OK for name in RLIMITS},
                     **{f"still-{name}": OK for name in RLIMITS}}),
    Attack("PY-12", "import-path-persistence", "py/py12_import_path_persistence.py", "denied",
           "nothing on the import path is writable, the canary takes no .pth, sitecustomize or "
           ".pyc; what the program plants in its /tmp runs inside and no later run sees it",
           errnos=E("EACCES", "EROFS", "ENOENT"),
           attempts={"import-from-ro-canary": OK, "payoff-pycache-in-ro-canary": E("Refused"),
                     "payoff-write-pth-ro-canary": E("EROFS"),
                     "payoff-write-sitecustomize-ro-canary": E("EROFS"),
                     "payoff-write-pyc-ro-canary": E("EROFS"),
                     **{f"plant-{name}": OK for name in (
                         "tmp-pth", "shm-pth", "user-site-pth", "usercustomize",
                         "sitecustomize")},
                     "child-runs-user-site-pth": OK, "audit-hook-refuses-open": E("EACCES"),
                     "audit-hook-bypass-ctypes": OK}),
]
