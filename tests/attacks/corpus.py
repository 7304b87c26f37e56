"""The attack corpus as data: one entry per attack program, with the outcome
a correct sandbox must show (research: attacks.md section 3; docs/security.md
lists every entry and the ones left out, with the reason).

Outcomes:
  denied     every attempt the program prints fails, with one of `errnos`
             (an attempt named in `attempts` with one of its own), and the
             program runs to its end ("done", exit 0);
  contained  the trick may work inside; the program runs to its end, and the
             host invariants H1-H8 hold (they are checked for every outcome);
  killed     the run ends with the verdict and signal of `verdict`;
  limit      the run ends with the limit's verdict of `verdict`;
  refused    the run never starts: `verdict` is setup-error (an option
             the attack abuses).

`verdict` is the record's verdict, "signal:NAME" for a payload killed by a
signal, or a dict by mode ("root", "unprivileged") when the modes enforce
differently (a cgroup in root mode, rlimits without one); a tuple allows
several.  `options` are stockade options the run gets after the canaries'
(the harness bounds every run with an outer timeout too).
"""
from dataclasses import dataclass, field
from typing import Mapping, Union

# What "denied" means (attacks.md section 1): the filter's EPERM or ENOSYS,
# a permission or read-only refusal, a family the kernel refuses.
DENIED = frozenset({"EPERM", "EACCES", "ENOSYS", "EAFNOSUPPORT", "EROFS"})

Verdict = Union[str, tuple, Mapping[str, Union[str, tuple]]]


@dataclass(frozen=True)
class Attack:
    id: str                 # "ESC-02"
    name: str               # "tiocsti-highbits"
    source: str             # under tests/attacks/: c/....c or py/....py
    outcome: str            # denied | contained | killed | limit | refused
    why: str                # what the sandbox must show, in a few words
    errnos: frozenset = DENIED
    attempts: Mapping[str, frozenset] = field(default_factory=dict)
    # attempts pinned differently in one mode ({"unprivileged": {name: ...}})
    # or under the language's profile ({"profile": {name: ...}})
    mode_attempts: Mapping[str, Mapping[str, frozenset]] = field(default_factory=dict)
    policy_attempts: Mapping[str, Mapping[str, frozenset]] = field(default_factory=dict)
    verdict: Verdict = "ok"
    options: tuple = ()
    recorded: tuple = ()    # refused calls the record must name (not
                            # counted among "(other calls)")
    stdin: str = ""         # a host object as stockade's stdin, checked
                            # unchanged after the run (test_attacks.py's
                            # HostStdin): "pty", "host-root", "o-path",
                            # "unix-socket", "rw-file"

    @property
    def language(self):
        return "python" if self.source.endswith(".py") else "c"

    def pinned(self, mode, policy="default"):
        """The attempts pinned for a run in mode, under policy."""
        return {**self.attempts, **self.mode_attempts.get(mode, {}),
                **self.policy_attempts.get(policy, {})}

    def verdicts(self, mode):
        v = self.verdict[mode] if isinstance(self.verdict, Mapping) else self.verdict
        return v if isinstance(v, tuple) else (v,)


def E(*names):
    """A set of errno names."""
    return frozenset(names)


# The entries, by category, in the files that hold them (one table read in
# order: ESC, FLT, SYS, FS, PROC, NET, RES, SUP, PY).
from corpus_esc_flt import ENTRIES as ESC_FLT  # noqa: E402
from corpus_sys_proc import ENTRIES as SYS_PROC  # noqa: E402
from corpus_fs_net_sup import ENTRIES as FS_NET_SUP  # noqa: E402
from corpus_res_py import ENTRIES as RES_PY  # noqa: E402

CORPUS = ESC_FLT + SYS_PROC + FS_NET_SUP + RES_PY
BY_ID = {a.id: a for a in CORPUS}
assert len(BY_ID) == len(CORPUS), "duplicate attack id"
