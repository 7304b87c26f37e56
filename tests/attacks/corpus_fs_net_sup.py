"""FS (file system), NET (network and IPC) and SUP (the supervisor):
attacks.md 3.4, 3.6, 3.8."""
from corpus import DENIED, Attack, E  # noqa: F401


def _each(names, tags, errnos):
    """{name-tag: errnos} for every name and tag."""
    return {f"{n}-{t}": errnos for n in names for t in tags}


# FS-02: the tags of the paths, the calls the mount refuses (EROFS) and the
# ones the file's mode refuses first (EACCES: the program is not the owner).
_FS02_ALL = ("ro-data", "ro-0666", "ro-dir-0777", "usr-stdlib", "usr-bin", "etc-passwd",
             "root")
_FS02_FILES = ("ro-data", "ro-0666", "usr-stdlib", "etc-passwd")
_FS02_CANARY = ("ro-data", "ro-0666", "ro-sub")
_FS02 = {
    **_each(("setxattr-user", "setxattr-security-capability", "removexattr-user"), _FS02_ALL,
            E("ENOSYS")),
    **_each(("setxattr-user-create",), _FS02_CANARY, E("ENOSYS")),
    **_each(("open-wronly", "open-rdwr", "truncate-same-size", "reopen-rdwr"),
            ("ro-data", "usr-stdlib"), E("EACCES")),
    **_each(("truncate-zero",), ("ro-data", "ro-sub"), E("EACCES")),
    **_each(("fallocate-rdonly-fd",), _FS02_FILES, E("EBADF")),
    **_each(("rename-from-tmp", "rename-to-tmp"), _FS02_CANARY, E("EXDEV")),
    "open-wronly-proc-self-comm": E("EACCES"),
}

_FS06_READABLE = ("kallsyms", "iomem", "keys", "key-users", "pagemap", "net-dev", "net-tcp",
                  "net-tcp6", "net-udp", "net-unix", "net-route", "status-init", "cmdline-init",
                  "status-self", "cmdline-self", "environ-self", "sys-hostname", "self-cgroup")

ENTRIES = [
    Attack("FS-01", "secret-read-routes", "c/fs01_secret_read_routes.c", "denied",
           "every path to the host secret (../, /proc magic links, fd reopen, links, O_PATH, "
           "handles) ends in ENOENT: the file is not in the sandbox's view",
           errnos=E("ENOENT"),
           attempts={"proc-1-root": E("EACCES"), "proc-1-cwd": E("EACCES"),
                     # pid 2 is the helper (helper.c): gone by now, or still
                     # waiting out the old root's detach, non-dumpable
                     "proc-2-root": E("ENOENT", "EACCES"),
                     "proc-2-cwd": E("ENOENT", "EACCES"),
                     "openat2-in-root": E("ENOSYS"), "openat2-in-proc-self-root": E("ENOSYS"),
                     "openat2-proc-self-magic": E("ENOSYS"), "symlink-to-secret": E("ok"),
                     "name-to-handle-at": E("EPERM"), "open-by-handle-at": E("EPERM")}),
    Attack("FS-02", "write-outside", "c/fs02_write_outside.c", "denied",
           "writes, metadata changes and xattrs on read-only binds and the root fail: EROFS "
           "(mount), EACCES (mode, Landlock), ENOSYS (xattr setters)",
           errnos=E("EROFS"), attempts=_FS02),
    Attack("FS-03", "chroot-fchdir-oldroot", "c/fs03_chroot_fchdir_oldroot.c", "denied",
           "chroot is forbidden; / and /.. are one inode, no old root or host root is mounted",
           errnos=E("ENOENT"),
           attempts={"mkdir-x": E("ok"), "chroot-x": E("EPERM"), "fchdir-out": E("ok"),
                     "chroot-dot": E("EPERM"), "read-mountinfo": E("ok")}),
    Attack("FS-04", "remount-unmask-propagation", "c/fs04_remount_unmask_propagation.c",
           "denied",
           "remount, mount_setattr, umount, new mounts and propagation changes are forbidden; "
           "no mount is shared with the host",
           errnos=E("EPERM"),
           attempts={"read-mountinfo": E("ok"), "write-usr-after": E("EROFS")}),
    Attack("FS-05", "procfs-writes", "c/fs05_procfs_writes.c", "denied",
           "no /proc file opens for writing (Landlock: EACCES); absent ones are ENOENT",
           errnos=E("EACCES"),
           attempts={f"open-wronly-{n}": E("ENOENT", "EACCES")
                     for n in ("modprobe", "sysrq", "sysrq-trigger", "binfmt-register",
                               "binfmt-status")}),
    Attack("FS-06", "proc-sys-infoleak", "c/fs06_proc_sys_infoleak.c", "denied",
           "kallsyms and iomem read empty (FS-10), pagemap zeroed, only the sandbox's pids, "
           "network and cgroup are visible, no /sys",
           errnos=E("EACCES", "ENOENT"),
           attempts={**{f"read-{n}": E("ok") for n in _FS06_READABLE},
                     "read-environ-init": E("EACCES"), "read-canary-pid-status": E("ENOENT")}),
    Attack("FS-07", "sysfs-writes", "c/fs07_sysfs_writes.c", "denied",
           "no /sys in the sandbox (ENOENT); sysfs, cgroup and debugfs mounts are forbidden",
           errnos=E("ENOENT"),
           attempts={"mkdir-tmp-sys": E("ok"),
                     **{f"mount-{n}": E("EPERM")
                        for n in ("sysfs", "cgroup2", "cgroup-v1-memory", "debugfs")},
                     "fsopen-sysfs": E("EPERM"), "fsopen-cgroup2": E("EPERM")}),
    Attack("FS-08", "dev-access", "c/fs08_dev_access.c", "denied",
           "/dev holds null, zero, full, random, urandom and a private shm only; mknod of a "
           "device needs CAP_MKNOD (EPERM)",
           errnos=E("ENOENT"),
           attempts={"list-dev": E("ok"), "mknod-mem": E("EPERM"), "mknod-sda": E("EPERM"),
                     "mknod-vda": E("EPERM"), "mknod-kmsg-shm": E("EPERM"),
                     "mknod-null-dev": E("EROFS"), "mknod-fifo-tmp": E("ok")}),
    Attack("FS-09", "state-for-next-run", "c/fs09_state_for_next_run.c", "denied",
           "traps planted in /tmp, /dev/shm and the IPC namespace are gone at the next run; "
           "set-id modes EPERM, file capabilities ENOSYS",
           errnos=E("ok"),
           attempts={**{f"payoff-previous-{n}": E("ENOENT")
                        for n in ("tmp-fs09-mark", "dev-shm-fs09-mark", "tmp-fs09-secret-link",
                                  "tmp-result.json", "sysv-shm")},
                     "payoff-previous-abstract": E("ECONNREFUSED"),
                     # mq_* are not in the allowlist (ENOSYS); where they
                     # were, Landlock refused the queue's file (EACCES)
                     "payoff-previous-mqueue": E("ENOSYS", "ENOENT"),
                     "plant-mqueue": E("ENOSYS", "EACCES"), "plant-hardlink-usr": E("EXDEV"),
                     "plant-dev-mem": E("EPERM"), "plant-chmod-setuid": E("EPERM"),
                     "plant-chmod-setgid": E("EPERM"), "plant-creat-setuid": E("EPERM"),
                     "plant-file-capability": E("ENOSYS"), "plant-sparse-1t": E("EFBIG")},
           # without a memory cgroup the shared-memory group is off
           mode_attempts={"unprivileged": {"payoff-previous-sysv-shm": E("ENOSYS"),
                                           "plant-sysv-shm": E("ENOSYS")}}),
    Attack("FS-10", "proc-host-facts", "c/fs10_proc_host_facts.c", "denied",
           "the host facts of /proc (boot line, boot id, symbols, disks, buses, locks, "
           "key quotas, file-nr, interrupts, disk I/O, pressure) read empty (ENODATA): an "
           "empty read-only file or directory covers each; the kernel's 0400 files stay "
           "closed (EACCES); writes fail",
           errnos=E("ENODATA", "ENOENT", "EACCES"),
           attempts={"write-cmdline": E("EROFS", "EACCES"),
                     "create-in-bus": E("EROFS", "EACCES")}),

    Attack("NET-01", "egress", "c/net01_egress.c", "denied",
           "with the network group allowed, nothing is reachable: the namespace has lo alone "
           "and no route (ENETUNREACH)",
           errnos=E("ENETUNREACH"), options=("--allow", "network"),
           attempts={"udp4-socket": E("ok"), "udp6-socket": E("ok"),
                     "udp4-bindtodevice-eth0": E("ENODEV"), "if-nametoindex-eth0": E("ENODEV"),
                     "read-resolv-conf": E("ENOENT"), "ioctl-siocgifconf": E("ok")}),
    Attack("NET-02", "host-localhost", "c/net02_host_localhost.c", "denied",
           "with the network group allowed, the host's loopback listeners are not there: the "
           "sandbox's lo refuses (ECONNREFUSED), no leaked fd",
           errnos=E("ECONNREFUSED"), options=("--allow", "network"),
           attempts={"udp-connect-dns-canary": E("ok"), "udp-send-dns-canary": E("ok"),
                     "fds-above-2": E("EBADF")}),
    Attack("NET-03", "abstract-unix", "c/net03_abstract_unix.c", "denied",
           "the host's abstract unix sockets are in another network namespace (ECONNREFUSED); "
           "squatting a name stays inside",
           errnos=E("ECONNREFUSED"),
           attempts={n: E("ok") for n in ("squat-bind-canary-name", "squat-listen",
                                          "squat-connect", "squat-accept")}),
    Attack("NET-04", "pathname-unix", "c/net04_pathname_unix.c", "denied",
           "no host unix socket is in the mount view (ENOENT; EACCES through init's root)",
           errnos=E("ENOENT"), attempts={"payoff-canary-proc-1-root": E("EACCES")}),
    Attack("NET-05", "dns-exfil", "c/net05_dns_exfil.c", "denied",
           "with the network group allowed, names do not resolve (hosts: files), queries to "
           "127.0.0.1 meet the sandbox's lo, no resolver socket, no proxy",
           errnos=E("ECONNREFUSED"), options=("--allow", "network"),
           attempts={"payoff-getaddrinfo": E("EAI_NONAME"),
                     "payoff-getaddrinfo-inet6": E("EAI_NONAME"),
                     "payoff-res-query": E("TRY_AGAIN"),
                     "connect-port-53": E("ok"), "send-query-port-53": E("ok"),
                     "connect-dns-canary": E("ok"), "send-query-dns-canary": E("ok"),
                     "payoff-nscd": E("ENOENT"), "payoff-resolved-varlink": E("ENOENT"),
                     "payoff-dbus-resolve1": E("ENOENT")}),
    Attack("NET-06", "raw-packet-ping", "c/net06_raw_packet_ping.c", "denied",
           "with the network group allowed, raw and packet sockets need CAP_NET_RAW (EPERM), "
           "ping sockets a group in ping_group_range (EACCES)",
           errnos=E("EPERM"), options=("--allow", "network"),
           attempts={"inet-ping": E("EACCES"), "inet6-ping": E("EACCES")}),
    Attack("NET-07", "netlink-privileged-sockopts", "c/net07_netlink_privileged_sockopts.c",
           "denied",
           "netlink is refused (EPERM) but route netlink, whose dump shows lo alone and whose "
           "changes need CAP_NET_ADMIN (EPERM); privileged socket options and interface ioctls "
           "need CAP_NET_ADMIN/RAW (EPERM); no eth0 (ENODEV)",
           errnos=E("EPERM"), options=("--allow", "network"),
           attempts={"netlink-raw-0": E("ok"), "netlink-dgram-route": E("ok"),
                     "rtnl-socket": E("ok"), "rtnl-dump-links": E("ok"),
                     "payoff-rtnl-links-beyond-lo": E("ENOENT"),
                     "tcp-socket": E("ok"), "udp-socket": E("ok"),
                     "so-attach-bpf-bad-fd": E("EBADF"), "so-bindtodevice-eth0": E("ENODEV"),
                     "siocgifflags-lo": E("ok"), "siocgifmtu-lo": E("ok"),
                     "siocgifflags-eth0": E("ENODEV")}),
    Attack("NET-08", "exotic-families", "c/net08_exotic_families.c", "denied",
           "every family but AF_UNIX is refused by the filter (EPERM), with the upper 32 bits "
           "set too",
           errnos=E("EPERM"),
           attempts={n: E("ok") for n in
                     [f"socket{h}-1-{t}" for h in ("", "-highbit")
                      for t in ("stream", "dgram", "raw", "seqpacket")]
                     + ["socket-flags-1", "socketpair-1", "socketpair-highbit-1"]}),

    Attack("SUP-01", "collect-links-races", "c/sup01_collect_links_races.c", "denied",
           "--copy keeps a host tree's symlinks as links (never follows them out); planted "
           "links, FIFOs, 0000 files and a RENAME_EXCHANGE racer daemon leave the run clean",
           errnos=E("ok"), options=("--copy", "/usr/lib/ssl:/tmp/sup01-ssl"),
           attempts={"copy-private-leads-nowhere": E("ENOENT"),
                     "plant-unmapped-owner": E("EPERM"), "follow-result-link": E("ENOENT")}),
    Attack("SUP-02", "output-shape-bombs", "c/sup02_output_shape_bombs.c", "denied",
           "a 1 TB sparse file stops at the file-size limit (EFBIG), a million files at the "
           "tmpfs inodes and filling at its size (ENOSPC), names at 255 bytes; teardown is clean",
           errnos=E("ok"),
           attempts={"sparse-1t-ftruncate": E("EFBIG"), "sparse-1t-pwrite": E("EFBIG"),
                     "name-dotdot": E("EEXIST"), "name-256-bytes": E("ENAMETOOLONG"),
                     "fill-tmp": E("ENOSPC"), "fill-dev-shm": E("ENOSPC"),
                     "million-files-tmp": E("ENOSPC"), "million-files-dev-shm": E("ENOSPC")}),
    Attack("SUP-03", "terminal-escapes", "c/sup03_terminal_escapes.c", "denied",
           "escape sequences and forged supervisor lines pass as bytes; the program has no "
           "terminal to query or read (ENOTTY, no /dev/tty)",
           errnos=E("ENOTTY"),
           attempts={"open-dev-tty": E("ENOENT"), "open-ptmx": E("ENOENT")}),
    Attack("SUP-04", "verdict-forgery", "c/sup04_verdict_forgery.c", "killed",
           "forged records, exit codes 124/137 of children and a self-sent SIGXCPU do not make "
           "a limit verdict: the payload died of a signal",
           verdict="signal:SIGXCPU"),
    Attack("SUP-05", "arg-env-name-injection", "c/sup05_arg_env_name_injection.c", "denied",
           "hostile --env values arrive verbatim as one variable each (no split, no shell); "
           "no LD_*/PYTHON*/caller variable; argv exact",
           errnos=E("ok"),
           options=("--env", "SUP05_SHELL=$(touch /tmp/sup05-pwned-1) `touch /tmp/sup05-pwned-2`;"
                    " touch /tmp/sup05-pwned-3 && echo | tee /tmp/sup05-pwned-4",
                    "--env", "SUP05_NEWLINE=a\nLD_PRELOAD=/tmp/sup05-evil.so"
                    "\nBASH_ENV=/tmp/sup05-evil.sh",
                    "--env", "SUP05_QUOTES='\"\\'; --\t--ro=/:/host",
                    "--env", "SUP05_LONG=" + "x" * 10000,
                    "--env", "SUP05_OPTION=--rw=/:/host"),
           attempts={f"marker-{i}": E("ENOENT") for i in range(1, 5)}),
    Attack("SUP-06", "unotify-toctou", "c/sup06_unotify_toctou.c", "denied",
           "a flipping path never opens the secret (ENOENT); refused calls stay EPERM whatever "
           "their pointers hold; callers dying mid-notification do not stop the supervisor",
           errnos=E("EPERM"),
           attempts={"race-openat-flip": E("ENOENT"), "open-secret-after": E("ENOENT")}),
    Attack("SUP-07", "denial-log-decoys", "c/sup07_denial_log_decoys.c", "denied",
           "300 decoy numbers and syscall(-1) before ptrace, bpf, io_uring_setup and "
           "init_module: all refused, and the record still names each of the four",
           errnos=E("EPERM", "ENOSYS"), attempts={"decoys-all-refused": E("ok")},
           recorded=("ptrace", "bpf", "io_uring_setup", "init_module")),
    Attack("SUP-08", "cpu-verdict-forgery", "c/sup08_cpu_verdict_forgery.c", "killed",
           "a SIGKILL it sends itself at 93 % of --cpu-time is no cpu-limit: only stockade's "
           "own count of the tree's CPU time gives that verdict, in both modes",
           verdict="signal:SIGKILL", options=("--cpu-time", "2s")),
    Attack("SUP-05b", "chdir-magic-link", "c/sup05b_chdir_magic_link.c", "refused",
           "--chdir /proc/self/fd/0 with the host's / on stdin is refused at step chdir "
           "(resolved in the root, no magic links): the program never starts outside it",
           verdict="setup-error", options=("--chdir", "/proc/self/fd/0"), stdin="host-root"),
]
