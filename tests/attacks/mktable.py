"""Prints the corpus as the Markdown table of docs/security.md:

    /usr/bin/python3 tests/attacks/mktable.py

test_attacks.py checks that the document holds exactly this table."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CORPUS, DENIED  # noqa: E402

BEGIN = "<!-- corpus table: tests/attacks/mktable.py -->"
END = "<!-- end of corpus table -->"


def expected(attack):
    if attack.outcome == "denied":
        names = "DENIED" if attack.errnos == DENIED else ", ".join(sorted(attack.errnos))
        return f"denied: {names}"
    if attack.outcome == "contained":
        return "contained"
    verdicts = {v for mode in ("root", "unprivileged") for v in attack.verdicts(mode)}
    return f"{attack.outcome}: " + " / ".join(sorted(verdicts))


def table():
    lines = [BEGIN, "", "| id | attack | program | expected | what the sandbox shows |",
             "|---|---|---|---|---|"]
    for a in CORPUS:
        why = a.why.replace("|", "\\|")
        lines.append(f"| {a.id} | `{a.name}` | [{a.source}](../tests/attacks/{a.source}) "
                     f"| {expected(a)} | {why} |")
    lines += ["", END]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
