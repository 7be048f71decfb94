"""Seeds: the reusable per-thread generator gives exactly the numbers of a fresh one."""

import threading

import numpy as np

from ponder.runtime.seeds import generator, pcg64_state, stream, thread_generator


def test_pcg64_state_is_numpys_seeding():
    for key in [(0,), (1, 1, 5, 3, 0), (2**40, 7), (123456789, 0, 2**31 - 1, 9)]:
        seq = stream(*key)
        assert pcg64_state(seq) == np.random.PCG64(seq).state


def test_thread_generator_draws_what_a_fresh_generator_draws():
    keys = [(7, 1, scan, replica, 0) for scan in range(20) for replica in range(5)]
    for key in keys:
        fresh = generator(*key)
        reused = thread_generator(key)
        assert np.array_equal(reused.standard_normal(7), fresh.standard_normal(7))
        assert np.array_equal(reused.integers(0, 1000, 5), fresh.integers(0, 1000, 5))
    # a half-used 32-bit buffer does not leak into the next reset
    reused = thread_generator((3, 1))
    reused.integers(0, 10, dtype=np.uint32)
    assert np.array_equal(thread_generator((3, 2)).integers(0, 2**31, 4, dtype=np.uint32),
                          generator(3, 2).integers(0, 2**31, 4, dtype=np.uint32))


def test_each_thread_has_its_own_generator():
    seen, errors = {}, []
    barrier = threading.Barrier(4)

    def work(name):
        try:
            for k in range(200):
                rng = thread_generator((11, name, k))
                seen.setdefault(name, set()).add(id(rng))
                barrier.wait() if k == 0 else None  # all threads hold their generator at once
                if not np.array_equal(rng.random(3), generator(11, name, k).random(3)):
                    errors.append((name, k))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(len(ids) == 1 for ids in seen.values())  # one generator per thread, reused
    assert len({next(iter(ids)) for ids in seen.values()}) == 4  # alive together, so distinct objects
