"""``oidclint.pool``: parsing processes whose results come back in the order of the tasks, and
that the scan does without (in this process) when there is one worker or a worker dies.

Task functions are module-level so the workers can unpickle them."""

from __future__ import annotations

import os
import threading
import time

import pytest
from oidclint import pool as pool_module
from oidclint.pool import MIN_PARALLEL_BYTES, Pool, available_cores, workers_for

_CALLS: list[int] = []
_STATE = "as imported"
"""Set to something else by a test before it starts workers: a forked worker sees the change,
a spawned one imports this module afresh."""


def _pid(_: object) -> int:
    return os.getpid()


def _slow_then_fast(task: tuple[int, float]) -> tuple[int, int]:
    index, seconds = task
    time.sleep(seconds)
    return index, os.getpid()


def _record(value: int) -> int:
    _CALLS.append(value)
    return value * 10


def _die_in_a_worker(task: tuple[int, int]) -> int:
    index, parent = task
    if os.getpid() != parent:
        os._exit(1)  # as a worker killed by the out-of-memory killer
    return index * 2


def _state(value: int) -> tuple[int, str]:
    return value + 1, _STATE


def _fail(value: int) -> int:
    raise ValueError(f"task {value}")


def test_one_worker_runs_in_this_process():
    with Pool(1) as pool:
        assert pool.workers == 1
        assert pool.submit(_pid, range(5))() == [os.getpid()] * 5


def test_zero_or_negative_workers_mean_one():
    assert Pool(0).workers == 1 and Pool(-3).workers == 1


def test_workers_run_elsewhere_and_results_keep_task_order():
    # The first tasks take longest, so they finish last: the order must come from the tasks.
    count = 40
    tasks = [(index, (count - index) * 0.002) for index in range(count)]
    with Pool(2) as pool:
        results = pool.submit(_slow_then_fast, tasks)()
    assert [index for index, _ in results] == list(range(count))
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_submit_returns_the_results_in_order_when_asked():
    with Pool(2) as pool:
        waiting = pool.submit(_slow_then_fast, [(i, 0.01 * (i % 3)) for i in range(9)])
        assert callable(waiting)
        assert [index for index, _ in waiting()] == list(range(9))


def test_with_one_worker_submit_runs_the_tasks_when_the_results_are_asked_for():
    _CALLS.clear()
    with Pool(1) as pool:
        waiting = pool.submit(_record, [3, 1, 2])
        assert _CALLS == []
        assert waiting() == [30, 10, 20]
        assert _CALLS == [3, 1, 2]


def test_a_single_task_runs_here_even_with_several_workers():
    _CALLS.clear()
    with Pool(2) as pool:
        waiting = pool.submit(_record, [7])
        assert _CALLS == []
        assert waiting() == [70] and _CALLS == [7]
        assert pool.submit(_pid, [None])() == [os.getpid()]


def test_no_tasks_give_no_results():
    with Pool(2) as pool:
        assert pool.submit(_pid, [])() == []


def test_an_exception_in_a_task_reaches_the_caller():
    with Pool(2) as pool, pytest.raises(ValueError, match="task"):
        pool.submit(_fail, [1, 2, 3])()


def test_a_dead_worker_makes_the_pool_go_on_in_this_process():
    parent = os.getpid()
    with Pool(2) as pool:
        assert pool.submit(_die_in_a_worker, [(i, parent) for i in range(6)])() == [
            0, 2, 4, 6, 8, 10]
        assert pool.workers == 1
        # From then on everything runs here.
        assert pool.submit(_pid, range(3))() == [parent] * 3


def test_a_closed_pool_starts_again_when_used():
    with Pool(2) as pool:
        first = pool.submit(_slow_then_fast, [(i, 0) for i in range(4)])()
        pool.close()
        second = pool.submit(_slow_then_fast, [(i, 0) for i in range(4)])()
    assert [i for i, _ in first] == [i for i, _ in second] == [0, 1, 2, 3]
    assert os.getpid() not in {pid for _, pid in first + second}


def test_workers_for():
    assert workers_for(None, 0) == 1
    assert workers_for(None, MIN_PARALLEL_BYTES - 1) == 1
    assert workers_for(0, MIN_PARALLEL_BYTES - 1) == 1
    assert workers_for(None, MIN_PARALLEL_BYTES) == available_cores()
    assert workers_for(None, 100 * MIN_PARALLEL_BYTES) == available_cores()
    assert workers_for(3, 0) == 3
    assert workers_for(3, 100 * MIN_PARALLEL_BYTES) == 3
    assert workers_for(1, 100 * MIN_PARALLEL_BYTES) == 1
    assert workers_for(-2, 0) == 1


def test_available_cores_without_an_affinity_mask(monkeypatch):
    assert available_cores() >= 1
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 5)
    assert available_cores() == 5
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert available_cores() == 1


def _with_a_thread_running(check):
    global _STATE
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    _STATE = "changed after import"
    try:
        assert threading.active_count() > 1
        with Pool(2) as pool:
            pool.start()
            return check(pool)
    finally:
        _STATE = "as imported"
        release.set()
        thread.join()


def test_workers_started_while_a_thread_runs_still_work():
    results = _with_a_thread_running(lambda pool: pool.submit(_state, list(range(20)))())
    assert [value for value, _ in results] == list(range(1, 21))


def test_workers_started_while_a_thread_runs_are_not_forked():
    results = _with_a_thread_running(lambda pool: pool.submit(_state, list(range(4)))())
    # A forked worker would see the state this process had when it started them.
    assert {state for _, state in results} == {"as imported"}


def _worker_settings(_: object) -> tuple[bool, tuple[int, ...], int]:
    import gc
    import signal

    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN, gc.get_threshold(), os.getpid()


@pytest.mark.parametrize("thread_running", [False, True], ids=["forked", "not forked"])
def test_workers_ignore_interrupts_and_collect_garbage_as_this_process_does(thread_running):
    import gc

    before = gc.get_threshold()
    gc.set_threshold(123_456, 17, 19)
    try:
        if thread_running:
            results = _with_a_thread_running(
                lambda pool: pool.submit(_worker_settings, [1, 2, 3])())
        else:
            with Pool(2) as pool:
                results = pool.submit(_worker_settings, [1, 2, 3])()
    finally:
        gc.set_threshold(*before)
    assert {pid for *_, pid in results} - {os.getpid()}
    assert {(ignored, thresholds) for ignored, thresholds, _ in results} == {
        (True, (123_456, 17, 19))}
