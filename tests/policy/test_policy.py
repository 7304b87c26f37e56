"""The seccomp policy as data: policy.tsv checked against the real filter.

For each distinct options value of policy.tsv, `stockade policy OPTIONS
--bpf` writes the classic-BPF program the payload would load; bpfsim.py runs
it on each row's (arch, syscall, args) and the action must be the row's.
No root and no seccomp(2) needed.  Run from anywhere:

    /usr/bin/python3 -m pytest -q tests/policy

STOCKADE=/path/to/stockade picks another binary (default: build/stockade).
"""
import functools
import os
import re
import struct
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bpfsim  # noqa: E402
from bpfsim import (AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386,  # noqa: E402
                    AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, BpfError, action_name,
                    run)

STOCKADE = Path(os.environ.get("STOCKADE", HERE.parents[1] / "build" / "stockade"))
TABLE = HERE / "policy.tsv"
ARCHES = {"x86_64": AUDIT_ARCH_X86_64, "i386": AUDIT_ARCH_I386,
          "x32": AUDIT_ARCH_X86_64, "aarch64": AUDIT_ARCH_AARCH64}
# the kernel's uapi headers, a source of syscall numbers apart from libseccomp
UNISTD = {"x86_64": "unistd_64.h", "i386": "unistd_32.h", "x32": "unistd_x32.h"}
EXPECTED = re.compile(r"ALLOW|NOTIFY|KILL_PROCESS|KILL_THREAD|TRAP|LOG|"
                      r"ERRNO\([A-Z0-9]+\)")

Case = namedtuple("Case", "line name options arch syscall args expected")


def load_table():
    cases = []
    for number, line in enumerate(TABLE.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 6, f"policy.tsv:{number}: 6 tab-separated columns: {line!r}"
        name, options, arch, syscall, args, expected = fields
        cases.append(Case(number, name, "" if options == "-" else options, arch,
                          syscall, () if args == "-" else
                          tuple(int(a, 0) for a in args.split(",")), expected))
    return cases


CASES = load_table()


@functools.cache
def syscall_numbers(arch):
    """{name: number} for arch, from <asm/unistd_*.h> (x32 numbers with
    the x32 bit)."""
    header = UNISTD[arch]
    paths = sorted(Path("/usr/include").glob(f"*/asm/{header}")) + \
        [Path("/usr/include/asm") / header]
    for path in paths:
        if path.is_file():
            defines = re.findall(r"#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ )?(\d+)",
                                 path.read_text())
            bit = X32_SYSCALL_BIT if arch == "x32" else 0
            return {name: int(nr) | bit for name, nr in defines}
    pytest.fail(f"no {header} (linux-libc-dev) to resolve syscall names", pytrace=False)


def resolve(case):
    """(nr, audit arch) for a row."""
    arch = ARCHES[case.arch] if case.arch in ARCHES else int(case.arch, 0)
    if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", case.syscall):
        nr = int(case.syscall, 0)
        return (nr | X32_SYSCALL_BIT if case.arch == "x32" else nr), arch
    numbers = syscall_numbers(case.arch)
    assert case.syscall in numbers, f"policy.tsv:{case.line}: no {case.syscall} on {case.arch}"
    return numbers[case.syscall], arch


def stockade(*args):
    if not (STOCKADE.is_file() and os.access(STOCKADE, os.X_OK)):
        pytest.fail(f"{STOCKADE} is missing: run `make` first", pytrace=False)
    r = subprocess.run([str(STOCKADE), "policy", *args], capture_output=True, timeout=30)
    assert r.returncode == 0, f"stockade policy {' '.join(args)}: {r.stderr.decode()}"
    return r.stdout


@functools.cache
def program(options):
    """The decoded filter for options (a policy.tsv column), built once."""
    return bpfsim.decode(stockade(*options.split(), "--bpf"))


# --- the table ---------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_policy(case):
    nr, arch = resolve(case)
    got = action_name(run(program(case.options), nr, arch, args=case.args))
    assert got == case.expected, (
        f"policy.tsv:{case.line} {case.name}: {case.syscall}{list(map(hex, case.args))} "
        f"on {case.arch} with options {case.options or '(none)'}: "
        f"{got}, expected {case.expected}")


def test_table_is_well_formed():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate names in policy.tsv"
    assert len(CASES) >= 80
    for c in CASES:
        assert EXPECTED.fullmatch(c.expected), f"policy.tsv:{c.line}: {c.expected}"
        assert len(c.args) <= 6, f"policy.tsv:{c.line}: more than 6 arguments"


def test_table_names_every_forbidden_call():
    """Each call of `stockade policy`'s [forbidden] list has a NOTIFY row
    under the default policy, so a new one cannot go untested."""
    text = stockade().decode()
    forbidden = text.split("[forbidden]", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert len(forbidden) > 40
    tested = {c.syscall for c in CASES if c.options == "" and c.arch == "x86_64"
              and c.expected == "NOTIFY"}
    assert sorted(set(forbidden) - tested) == []


def test_on_deny_kill_leaves_the_filter_alone():
    """--on-deny=kill is carried out by the supervisor, not the filter."""
    assert stockade("--on-deny=kill", "--bpf") == stockade("--bpf")


def test_filter_is_not_trivially_permissive():
    """The default policy allows some, not all, of the x86_64 calls (all
    arguments 0) and never lets another ABI through: it hands each such
    call to the supervisor, which ends the run."""
    insns = program("")
    allowed = [nr for nr in range(451)
               if action_name(run(insns, nr)) == "ALLOW"]
    assert 150 <= len(allowed) <= 350, f"{len(allowed)} calls allowed"
    for nr in range(0, 451, 7):
        assert action_name(run(insns, nr, AUDIT_ARCH_I386)) == "NOTIFY"
        assert action_name(run(insns, nr | X32_SYSCALL_BIT)) == "NOTIFY"


# --- the simulator, on hand-assembled programs --------------------------------

def asm(*insns):
    """(code, k) or (code, jt, jf, k) tuples as sock_filter bytes."""
    out = b""
    for i in insns:
        code, jt, jf, k = (i[0], 0, 0, i[1]) if len(i) == 2 else i
        out += struct.pack("<HBBI", code, jt, jf, k)
    return out


LD_ABS, LD_IMM, LD_MEM, LDX_IMM, LD_LEN = 0x20, 0x00, 0x60, 0x01, 0x80
ST, STX, TAX, TXA, RET_K, RET_A = 0x02, 0x03, 0x07, 0x87, 0x06, 0x16
JA, JEQ, JGT, JGE, JSET = 0x05, 0x15, 0x25, 0x35, 0x45
ALLOW, NOTIFY, KILL = 0x7FFF0000, 0x7FC00000, 0x80000000


def test_sim_checks_arch_then_nr():
    prog = asm((LD_ABS, 4), (JEQ, 1, 0, AUDIT_ARCH_X86_64), (RET_K, KILL),
               (LD_ABS, 0), (JEQ, 0, 1, 39), (RET_K, ALLOW), (RET_K, 0x00050001))
    assert action_name(run(prog, 39)) == "ALLOW"
    assert action_name(run(prog, 40)) == "ERRNO(EPERM)"
    assert action_name(run(prog, 39, AUDIT_ARCH_I386)) == "KILL_PROCESS"


def test_sim_reads_every_word_of_seccomp_data():
    args = [(hi << 32) | lo for hi, lo in
            [(0x11, 0x12), (0x21, 0x22), (0x31, 0x32), (0x41, 0x42), (0x51, 0x52), (0x61, 0x62)]]
    words = {0: 0xFFFFFFFF, 4: 0xC00000B7, 8: 0x89ABCDEF, 12: 0x01234567}
    for i, a in enumerate(args):
        words[16 + 8 * i], words[20 + 8 * i] = a & 0xFFFFFFFF, a >> 32
    for offset, value in words.items():
        prog = asm((LD_ABS, offset), (RET_A, 0))
        assert run(prog, -1, 0xC00000B7, 0x0123456789ABCDEF, args) == value, offset
    assert run(asm((LD_LEN, 0), (RET_A, 0)), 0) == 64


def test_sim_compares_64_bit_arguments_word_by_word():
    # allow only args[0] == 5: high word 0, then low word 5
    prog = asm((LD_ABS, 20), (JEQ, 0, 3, 0), (LD_ABS, 16), (JEQ, 0, 1, 5),
               (RET_K, ALLOW), (RET_K, NOTIFY))
    assert action_name(run(prog, 0, args=[5])) == "ALLOW"
    assert action_name(run(prog, 0, args=[(1 << 32) | 5])) == "NOTIFY"
    assert action_name(run(prog, 0, args=[6])) == "NOTIFY"


def test_sim_alu_scratch_memory_and_registers():
    nr = 0x1234
    prog = asm((LD_ABS, 0), (ST, 3), (LDX_IMM, 0xF0), (LD_MEM, 3),
               (0x5C, 0),           # AND X
               (0x64, 4),           # LSH 4
               (0x04, 3), (0x14, 1),  # ADD 3, SUB 1
               (0x44, 0x10000), (0xA4, 1),  # OR, XOR
               (0x74, 1),           # RSH 1
               (0x24, 6), (0x34, 3), (0x94, 5),  # MUL, DIV, MOD
               (STX, 7), (TAX, 0), (LD_IMM, 0), (TXA, 0), (RET_A, 0))
    a = ((((nr & 0xF0) << 4) + 3 - 1) | 0x10000) ^ 1
    assert run(prog, nr) == (((a >> 1) * 6) // 3) % 5
    assert run(asm((LD_IMM, 5), (0x14, 6), (RET_A, 0)), 0) == 0xFFFFFFFF  # wraps
    assert run(asm((LD_IMM, 5), (0x84, 0), (RET_A, 0)), 0) == 0xFFFFFFFB  # NEG


def test_sim_jumps():
    def pick(op, a, b, src_x=False):
        # A = a, X = b; op with K = b or X; 1 when taken, 2 when not
        code = op | (0x08 if src_x else 0)
        prog = asm((LDX_IMM, b), (LD_IMM, a), (code, 1, 0, b), (RET_K, 2), (RET_K, 1))
        return run(prog, 0)
    for src_x in (False, True):
        assert pick(JEQ, 7, 7, src_x) == 1 and pick(JEQ, 7, 8, src_x) == 2
        assert pick(JGT, 8, 7, src_x) == 1 and pick(JGT, 7, 7, src_x) == 2
        assert pick(JGE, 7, 7, src_x) == 1 and pick(JGE, 6, 7, src_x) == 2
        assert pick(JSET, 6, 2, src_x) == 1 and pick(JSET, 6, 1, src_x) == 2
    assert pick(JGT, 0xFFFFFFFF, 1) == 1  # unsigned
    assert run(asm((JA, 1), (RET_K, 2), (RET_K, 1)), 0) == 1


@pytest.mark.parametrize("prog", [
    b"", b"\x06\x00\x00\x00\x00\x00\x00",           # not whole instructions
    asm((0x28, 0), (RET_A, 0)),                     # LD H ABS
    asm((0x40, 0), (RET_A, 0)),                     # LD W IND
    asm((LD_ABS, 2), (RET_A, 0)),                   # unaligned
    asm((LD_ABS, 64), (RET_A, 0)),                  # past seccomp_data
    asm((0x0E, 0)),                                 # RET X
    asm((0x85, 0), (RET_K, 0)),                     # eBPF call
    asm((0xD4, 0), (RET_K, 0)),                     # unknown ALU op
    asm((LD_IMM, 0)),                               # runs off the end
    asm((JA, 5), (RET_K, 0)),                       # jumps off the end
])
def test_sim_refuses_what_the_kernel_refuses(prog):
    with pytest.raises(BpfError):
        run(prog, 0)


def test_sim_names_actions():
    assert [action_name(v) for v in (0x80000000, 0, 0x30000, 0x50026, 0x7FC00000,
                                     0x7FF00000, 0x7FFC0000, 0x7FFF0000)] == [
        "KILL_PROCESS", "KILL_THREAD", "TRAP", "ERRNO(ENOSYS)", "NOTIFY",
        "TRACE", "LOG", "ALLOW"]
    assert action_name(0x50001) == "ERRNO(EPERM)"
    assert action_name(0x12340000).startswith("UNKNOWN")
