"""stockade.run_async and Sandbox.run_async: runs waited for on the event
loop by their fds."""
import asyncio

import pytest

import stockade
from conftest import children


def test_gather_many():
    async def main():
        sandbox = stockade.Sandbox("python")
        return await asyncio.gather(*[sandbox.run_async(f"print({i} ** 2)") for i in range(24)])

    results = asyncio.run(main())
    assert [r.stdout for r in results] == [f"{i ** 2}\n".encode() for i in range(24)]


def test_module_level_and_keywords():
    async def main():
        return await stockade.run_async("import sys; print(sys.stdin.read())", stdin="in",
                                        wall_time=5, memory="64M", text=True)

    r = asyncio.run(main())
    assert r.ok and r.stdout == "in\n"


def test_the_loop_runs_while_runs_wait():
    async def main():
        ticks = 0
        task = asyncio.ensure_future(stockade.run_async("import time; time.sleep(0.5)"))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return ticks, task.result()

    ticks, r = asyncio.run(main())
    assert r.ok and ticks > 10


def test_cancelling_the_task_kills_the_sandbox():
    async def main():
        task = asyncio.ensure_future(stockade.run_async("import time; time.sleep(60)"))
        for _ in range(3000):  # until the sandbox is there
            if len(children()) == len(before) + 1:
                break
            await asyncio.sleep(0.01)
        assert len(children()) == len(before) + 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    before = children()
    asyncio.run(main())
    assert children() == before


def test_streaming_on_the_loop():
    async def main():
        pieces = []
        sandbox = stockade.Sandbox("python")
        r = await sandbox.run_async("for i in range(3): print(i)",
                                    on_output=lambda s, d: pieces.append((s, d)))
        return pieces, r

    pieces, r = asyncio.run(main())
    assert b"".join(d for s, d in pieces if s == 1) == b"0\n1\n2\n" == r.stdout


def test_errors_surface_in_the_coroutine():
    async def main():
        with pytest.raises(stockade.SetupError):
            await stockade.run_async(argv=["/nonexistent"])
        with pytest.raises(stockade.ConfigError):
            await stockade.run_async("print(1)", memory="lots")

    asyncio.run(main())
