"""ESC (known escapes) and FLT (filter bypasses): attacks.md 3.1, 3.2."""
from corpus import DENIED, Attack, E  # noqa: F401

ENTRIES = [
    Attack("ESC-01", "tiocsti-inject", "c/esc01_tiocsti_inject.c", "denied",
           "TIOCSTI is refused on every fd; no terminal reaches the sandbox (a pipe, "
           "no controlling tty, /dev/tty gives ENXIO); with the terminals group, its own pty "
           "(controlling) refuses TIOCSTI too and devpts shows no host terminal",
           errnos=E("EPERM"), options=("--allow", "terminals"),
           attempts={"tcgets-fd0": E("ENOTTY"), "tcgets-fd1": E("ENOTTY"),
                     "tcgets-fd2": E("ENOTTY"), "open-dev-tty": E("ENXIO"),
                     "tiocsctty-fd0": E("ENOTTY", "EPERM"), "open-dev-ptmx": E("ok"),
                     "payoff-host-pts-visible": E("ENOENT"), "unlockpt": E("ok"), "setsid": E("ok"),
                     "open-pts": E("ok"), "tiocsctty-own-pts": E("ok")},
           stdin="pty"),
    Attack("ESC-02", "tiocsti-highbits", "c/esc02_tiocsti_highbits.c", "denied",
           "TIOCSTI and TIOCLINUX with high bits set in the command are refused like the plain ones",
           errnos=E("EPERM"),
           attempts={"open-dev-tty": E("ENOENT", "ENXIO"),
                     "control-tcgets-highbits-badfd": E("EBADF")}),
    Attack("ESC-03", "tioclinux-paste", "c/esc03_tioclinux_paste.c", "denied",
           "TIOCLINUX set and paste selection are refused on every fd; no console is visible",
           errnos=E("EPERM"),
           attempts={f"open-{c}": E("ENOENT") for c in ("tty0", "tty1", "console", "vcs")}),
    Attack("ESC-04", "proc-self-exe-overwrite", "c/esc04_proc_self_exe_overwrite.c", "denied",
           "no executable of a visible process opens for writing: init's is unreachable, "
           "the program's own is busy or read-only",
           errnos=E("EACCES", "ETXTBSY", "EROFS"),
           attempts={"exe-path-init-pid1": E("EACCES"),
                     "payoff-open-init-exe-rdwr": E("EACCES"),
                     "list-init-map-files": E("EACCES"),
                     "write-self-exe-wronly-trunc": E("ETXTBSY", "EROFS"),
                     "open-self-exe-rdwr": E("ETXTBSY", "EROFS"),
                     **{f"map-files-rdwr-{i}": E("EPERM") for i in range(4)}}),
    Attack("ESC-05", "leaked-fd-cwd", "c/esc05_leaked_fd_cwd.c", "denied",
           "the fds leaked into stockade do not reach the program (0-2 only), the cwd is "
           "inside, init's fds, cwd, root and environment are closed to it",
           errnos=E("EACCES"),
           attempts={"fds-above-2": E("EBADF"), "chdir-proc-self-fd-3-64": E("ENOENT"),
                     "payoff-open-secret": E("ENOENT")}),
    Attack("ESC-06", "helper-exposure", "c/esc06_helper_exposure.c", "denied",
           "init is neither traceable nor readable and holds no uid 0 or capability; no "
           "foreign pid answers",
           # another pid than init: stockade's network helper, a zombie
           # that may still be visible, or gone meanwhile
           errnos=E("EPERM", "EACCES", "ENOENT", "ESRCH"),
           attempts={"payoff-ptrace-seize-pid1": E("EPERM"),
                     "payoff-ptrace-attach-pid1": E("EPERM"),
                     "payoff-process-vm-readv-pid1": E("EPERM"),
                     "payoff-pidfd-getfd-pid1": E("EPERM"),
                     **{f"payoff-open-pid1-{f}": E("EACCES")
                        for f in ("mem", "environ", "fd", "cwd", "root", "map_files",
                                  "fd/0", "fd/3")},
                     "signal0-sweep-foreign-pids": E("ESRCH")}),
    Attack("ESC-07", "setup-path-race", "c/esc07_setup_path_race.c", "contained",
           "symlinks planted and raced in /tmp and /dev/shm stay in the run (the next run "
           "sees none); nothing is planted in C-RO, the root, /usr or /run"),
    Attack("ESC-08", "shocker", "c/esc08_shocker.c", "denied",
           "name_to_handle_at and open_by_handle_at are forbidden, for any forged handle",
           errnos=E("EPERM")),
    Attack("ESC-09", "nsfs-handle", "c/esc09_nsfs_handle.c", "denied",
           "namespace file handles: name_to_handle_at, open_by_handle_at(FD_NSFS_ROOT) and "
           "setns are forbidden for every namespace type",
           errnos=E("EPERM")),
    Attack("ESC-10", "cgroup-release-agent", "c/esc10_cgroup_release_agent.c", "denied",
           "unshare, mount and fsopen of a cgroup hierarchy are forbidden; no release_agent "
           "is visible",
           errnos=E("EPERM"),
           attempts={**{f"payoff-open-release-agent-{i}": E("ENOENT") for i in range(1, 5)},
                     "payoff-mkdir-sys-cgroup": E("ENOENT")}),
    Attack("ESC-11", "core-pattern-handler", "c/esc11_core_pattern_handler.c", "denied",
           "core_pattern is not writable; the hard RLIMIT_CORE 0 cannot be raised, a crash "
           "dumps no core",
           errnos=E("EACCES", "EROFS"),
           attempts={"payoff-open-sysrq-trigger-w": E("ENOENT", "EACCES", "EROFS"),
                     "setrlimit-core-unlimited": E("EPERM"), "setrlimit-core-1": E("EPERM"),
                     "payoff-core-file": E("ENOENT"), "payoff-core-pid-file": E("ENOENT")}),
    Attack("ESC-12", "page-cache-overwrite", "c/esc12_page_cache_overwrite.c", "contained",
           "Dirty COW and Dirty Pipe leave C-RO unchanged (/proc/self/mem is not writable); "
           "AF_ALG sockets (Copy Fail) are refused"),
    Attack("ESC-13", "reentry-forgery", "c/esc13_reentry_forgery.c", "denied",
           "forged names, pid files and records change nothing; no filter of its own, "
           "no_new_privs stays; every process of the run has the filter",
           errnos=E("ENOENT"),
           attempts={"seccomp-set-mode-filter": E("ENOSYS"),
                     "seccomp-new-listener": E("ENOSYS"),
                     "prctl-set-seccomp-filter": E("EPERM"),
                     "prctl-clear-no-new-privs": E("EINVAL")}),
    Attack("ESC-14", "nested-userns-lpe", "c/esc14_nested_userns_lpe.c", "denied",
           "no user or net namespace by unshare, clone or clone3; no netlink, raw, packet "
           "socket or fsopen; no capability",
           errnos=E("EPERM"),
           attempts={"clone3-newuser": E("ENOSYS"), "clone3-newuser-newns": E("ENOSYS"),
                     "setsockopt-ipt-replace-badfd": E("EBADF"),
                     "setsockopt-packet-rx-ring-badfd": E("EBADF"),
                     "open-max-user-namespaces-w": E("EACCES", "EROFS")}),
    # The caller's fd 0 as each kind of host object: the program gets a pipe
    # of the supervisor's on 0, 1 and 2, whatever the caller gives; the
    # harness checks the object itself is as it was (test_attacks.py).
    *[Attack(f"ESC-15{letter}", f"host-stdin-{kind}", "c/esc15_host_stdio_fds.c",
             "contained",
             f"with {what} on stockade's stdin, fds 0-2 are the supervisor's pipes: no fchdir, "
             "getdents, openat, connect or send reaches the host, and the object is unchanged",
             attempts={f"payoff-{call}-fd{fd}": E(*errs) | DENIED
                       for fd in range(3)
                       for call, errs in (("fchdir", ("ENOTDIR",)), ("getdents", ("ENOTDIR",)),
                                          ("openat", ("ENOTDIR",)),
                                          ("connect", ("ENOTSOCK",)), ("send", ("ENOTSOCK",)),
                                          ("reopen-dir", ("ENOTDIR",)))},
             stdin=kind)
      for letter, kind, what in (("a", "host-root", "the host's /"),
                                 ("b", "o-path", "an O_PATH fd of a host directory"),
                                 ("c", "unix-socket", "a socket to a host service"),
                                 ("d", "pty", "a host terminal"),
                                 ("e", "rw-file", "a host file open read-write"))],
    Attack("FLT-01", "i386-int80", "c/flt01_i386_int80.c", "killed",
           "the first i386 call through int $0x80 ends the run",
           verdict="syscall-denied"),
    Attack("FLT-02", "i386-socketcall", "c/flt02_i386_socketcall.c", "killed",
           "i386 socketcall (AF_ALG) ends the run: there is no i386 filter to get through",
           verdict="syscall-denied"),
    Attack("FLT-03", "x32-bit", "c/flt03_x32_bit.c", "killed",
           "a call with the x32 bit ends the run",
           verdict="syscall-denied"),
    Attack("FLT-04", "compat-far-call", "c/flt04_compat_far_call.c", "killed",
           "after a far call to 32-bit mode, the first i386 call that reaches the kernel "
           "ends the run",
           verdict="syscall-denied"),
    Attack("FLT-05", "io-uring-sidedoor", "c/flt05_io_uring_sidedoor.c", "denied",
           "io_uring_setup, io_uring_enter and io_uring_register are forbidden",
           errnos=E("EPERM"), attempts={"open-dev-io-uring": E("ENOENT")}),
    Attack("FLT-06", "int-arg-highbits", "c/flt06_int_arg_highbits.c", "denied",
           "every argument rule compares the low 32 bits: a forbidden value with high bits "
           "set is refused like the plain one",
           errnos=E("EPERM"),
           attempts={**{f"control-{c}-highbits{h}": E("EBADF")
                        for c in ("ioctl-tcgets", "fcntl-getfd") for h in (0, 1)},
                     **{f"control-prlimit-pid0-highbits{h}": E("ok") for h in (0, 1)},
                     "control-personality-query-highbits": E("ok"),
                     "control-prctl-get-dumpable-highbits": E("ok")}),
    Attack("FLT-07", "pointer-args-invisible", "c/flt07_pointer_args_invisible.c", "denied",
           "clone3 and openat2 (arguments in memory) answer ENOSYS; what a pointer names is "
           "enforced by the mounts and namespaces",
           errnos=E("ENOSYS"),
           attempts={"openat-creat-ro": E("EROFS", "EACCES"),
                     "payoff-connect-abstract-canary": E("ECONNREFUSED", "EPERM"),
                     "payoff-sendto-abstract-canary": E("ECONNREFUSED", "EPERM"),
                     "payoff-connect-unix-canary": E("ENOENT"),
                     "execveat-empty-path-badfd": E("EBADF")}),
    Attack("FLT-08", "ioctl-requests", "c/flt08_ioctl_requests.c", "denied",
           "ioctl is an allowlist by request: FIEMAP and FIBMAP on a host file (its disk "
           "offsets), inode and file-system facts, nsfs walks, SIOCGSKNS, driver requests "
           "are refused; the requests programs use reach the kernel",
           errnos=E("EPERM"),
           attempts={"control-fionread-pipe": E("ok"), "control-fioclex-pipe": E("ok"),
                     "control-tcgets-pipe": E("ENOTTY")}),
]
