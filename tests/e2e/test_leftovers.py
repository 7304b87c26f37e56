"""Nothing is left behind on the host after many runs."""
from support import describe, leftovers, pids_of_uids, snapshot, unique

RUNS = 200


def test_nothing_left_behind_after_many_runs(stockade, mode):
    # The marker is in stockade's command line (and the payload's), so that
    # any process of these runs can be found afterwards.
    marker = unique("leftover")

    def once():
        cp, rec = stockade.run(["--env", f"STOCKADE_E2E_MARK={marker}", "--", "true", marker])
        assert cp.returncode == 0, describe(cp, rec)
        return rec

    once()  # warm-up: a lock file stockade creates once is not a leftover
    before = snapshot(marker)
    host_uids = {once()["host_uid"] for _ in range(RUNS)}
    assert leftovers(before, marker) == {}
    if mode == "root":
        # No process runs under any of the runs' host uids.
        alive = pids_of_uids(host_uids)
        assert not alive, (alive, host_uids)
