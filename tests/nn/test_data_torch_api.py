"""nn.data's torch.utils.data names: Subset, ConcatDataset, random_split, default_collate,
DataLoader's sampler/collate_fn arguments, and num_workers > 0 (same batches as in-process,
errors re-raised naming the sample, dead workers detected, workers stopped afterwards)."""
import collections
import multiprocessing
import os

import numpy as np
import pytest

import minigrad as mg
from nn.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                     default_collate, get_worker_info, random_split)


class Squares(Dataset):
    def __init__(self, n=23, bad=None, die=None):
        self.n, self.bad, self.die = n, bad, die

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise KeyError(f"no sample {i}")
        if i == self.die:
            os._exit(3)
        return mg.tensor([float(i)]), i * i


class WorkerTagged(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return info.id, info.num_workers, float(np.random.random()), float(mg.rand(1).item())


def as_lists(loader):
    return [[t.tolist() for t in batch] for batch in loader]


def no_worker_left():
    return not [p for p in multiprocessing.active_children()
                if p.name.startswith("DataLoaderWorker")]


# --- datasets -------------------------------------------------------------------------------
def test_subset_and_concat():
    data = TensorDataset(np.arange(10.0), np.arange(10) * 2)
    sub = Subset(data, [7, 2, -1])
    assert len(sub) == 3 and sub[0][1].item() == 14 and sub[2][0].item() == 9.0
    both = ConcatDataset([sub, data])
    assert len(both) == 13 and both[3][0].item() == 0.0 and both[-1][0].item() == 9.0
    assert len(sub + data) == 13
    assert both.cumulative_sizes == [3, 13]
    with pytest.raises(IndexError, match="index 13 is out of range for 13 samples"):
        both[13]
    with pytest.raises(IndexError, match="Subset: index 10 is out of range for a dataset of 10"):
        Subset(data, [10])
    with pytest.raises(TypeError, match=r"Subset: indices must be ints, got inf \(float\)"):
        Subset(data, [float("inf")])
    with pytest.raises(TypeError, match="Subset: indices must be a sequence of ints, got float"):
        Subset(data, float("inf"))
    assert Subset(data, np.array([1, 2])).indices == [1, 2]
    with pytest.raises(ValueError, match="ConcatDataset: got no datasets"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="must define __len__ and __getitem__, got int"):
        ConcatDataset([data, 3])


@pytest.mark.parametrize("n, fractions", [(10, [0.3, 0.7]), (11, [0.5, 0.25, 0.25]),
                                          (7, [0.1, 0.1, 0.8])])
def test_random_split_fraction_sizes_equal_torch(n, fractions):
    torch = pytest.importorskip("torch")
    ours = random_split(list(range(n)), fractions)
    theirs = torch.utils.data.random_split(list(range(n)), fractions)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(n))


def test_random_split_is_seeded_and_validated():
    data = list(range(20))
    mg.manual_seed(5)
    first = [s.indices for s in random_split(data, [5, 15])]
    mg.manual_seed(5)
    assert [s.indices for s in random_split(data, [5, 15])] == first
    a = [s.indices for s in random_split(data, [10, 10], generator=np.random.default_rng(1))]
    b = [s.indices for s in random_split(data, [10, 10], generator=np.random.default_rng(1))]
    assert a == b and sorted(a[0] + a[1]) == data
    with pytest.raises(ValueError, match=r"lengths \[5, 5\] sum to 10 but the dataset has 20"):
        random_split(data, [5, 5])
    with pytest.raises(ValueError, match="must be non-negative ints summing to 20, or "
                                         "fractions summing to 1"):
        random_split(data, [0.5, 0.6])
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        random_split(data, [10, 10], generator=42)
    with pytest.warns(UserWarning, match="length of split 1 is 0"):
        random_split([1, 2], [0.9, 0.1])


# --- default_collate --------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")


def test_default_collate_follows_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    samples = [{"image": np.full((2, 2), i, np.float32), "label": i, "weight": 0.5 * i,
                "flag": bool(i % 2), "name": f"s{i}", "pair": (np.int16(i), [1.0, 2.0])}
               for i in range(3)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    for key in ("image", "label", "weight", "flag"):
        assert str(ours[key].dtype) == str(theirs[key].dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours[key].data, theirs[key].numpy())
    assert ours["name"] == theirs["name"] == ["s0", "s1", "s2"]
    assert isinstance(ours["pair"], list) and isinstance(ours["pair"][1], list)
    assert ours["pair"][0].dtype == np.int16
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]


def test_default_collate_errors():
    with pytest.raises(ValueError, match=r"different shapes \[\(2,\), \(3,\)\].*collate_fn"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match=r"different numbers of fields \(\[1, 2\]\)"):
        default_collate([(1,), (1, 2)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="key 'b' is missing from some samples"):
        default_collate([{"a": 1, "b": 2}, {"a": 1}])


# --- DataLoader arguments ---------------------------------------------------------------------
def test_sampler_batch_sampler_and_collate_fn():
    data = TensorDataset(np.arange(6.0))
    assert as_lists(DataLoader(data, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])) == \
        [[[5.0, 4.0]], [[3.0, 2.0]], [[1.0, 0.0]]]
    loader = DataLoader(data, batch_sampler=[[0], [1, 2, 3]])
    assert len(loader) == 2 and as_lists(loader) == [[[0.0]], [[1.0, 2.0, 3.0]]]
    batches = list(DataLoader(data, batch_size=4, collate_fn=len))
    assert batches == [4, 2]
    loader = DataLoader(data, batch_size=4, pin_memory=True, generator=np.random.default_rng(0),
                        shuffle=True)
    assert sorted(v for b in as_lists(loader) for v in b[0]) == list(range(6))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sampler=[0, 1], shuffle=True), ValueError, "sampler and shuffle=True are mutually exclusive"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler excludes batch_size"),
    (dict(num_workers=-1), ValueError, "num_workers must be an int >= 0, got -1"),
    (dict(persistent_workers=True), ValueError, "persistent_workers=True needs num_workers > 0"),
    (dict(prefetch_factor=4), ValueError, "prefetch_factor needs num_workers > 0"),
    (dict(timeout=-1), ValueError, "timeout must be a number of seconds >= 0"),
    (dict(collate_fn=3), TypeError, "collate_fn must be callable"),
    (dict(generator=0), TypeError, "generator must be a numpy.random.Generator"),
    (dict(batch_size=None), ValueError, "batch_size=None .* is not supported"),
])
def test_dataloader_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(TensorDataset(np.arange(4.0)), **kwargs)


# --- worker processes -------------------------------------------------------------------------
@pytest.mark.parametrize("data", [Squares(), TensorDataset(np.arange(23.0)[:, None],
                                                           np.arange(23))])
def test_workers_yield_the_same_batches_in_the_same_order(data):
    mg.manual_seed(1)
    in_process = as_lists(DataLoader(data, batch_size=4, shuffle=True))
    mg.manual_seed(1)
    loader = DataLoader(data, batch_size=4, shuffle=True, num_workers=3, prefetch_factor=1)
    assert as_lists(loader) == in_process
    assert no_worker_left()


def test_a_failing_sample_is_reraised_with_its_index_and_the_workers_stop():
    loader = DataLoader(Squares(bad=17), batch_size=4, num_workers=2)
    with pytest.raises(KeyError, match=r"(?s)DataLoader worker 0 failed on batch 4 \(sample index "
                                       r"17\): KeyError: 'no sample 17'.*Traceback in the "
                                       r"worker process"):
        list(loader)
    assert no_worker_left()


def test_a_dying_worker_is_detected():
    loader = DataLoader(Squares(die=5), batch_size=2, num_workers=2)
    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) exited "
                                           r"unexpectedly with exit code 3"):
        list(loader)
    assert no_worker_left()


def test_leaving_the_loop_early_stops_the_workers():
    iterator = iter(DataLoader(Squares(), batch_size=2, num_workers=2))
    next(iterator)
    del iterator
    assert no_worker_left()


def test_worker_info_seeds_and_init_fn():
    started = multiprocessing.get_context("fork").Queue()
    mg.manual_seed(0)
    loader = DataLoader(WorkerTagged(), batch_size=2, num_workers=2,
                        worker_init_fn=started.put)
    batches = list(loader)
    assert sorted(started.get(timeout=10) for _ in range(2)) == [0, 1]
    assert [b[0].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert all(b[1].tolist() == [2, 2] for b in batches)
    numpy_draws = [v for b in batches for v in b[2].tolist()]
    minigrad_draws = [v for b in batches for v in b[3].tolist()]
    assert len(set(numpy_draws)) == 8 and len(set(minigrad_draws)) == 8   # seeded per worker
    mg.manual_seed(0)
    assert [b[3].tolist() for b in DataLoader(WorkerTagged(), batch_size=2, num_workers=2)] \
        == [b[3].tolist() for b in batches]                                # and reproducibly
    assert get_worker_info() is None


def test_persistent_workers_serve_several_epochs():
    loader = DataLoader(Squares(), batch_size=5, num_workers=2, persistent_workers=True)
    first = as_lists(loader)
    pool = loader._pool
    iterator = iter(loader)
    next(iterator)                          # an epoch left early keeps the workers ...
    del iterator
    assert as_lists(loader) == first and loader._pool is pool    # ... and they go on
    assert not no_worker_left()
    del loader, pool
    assert no_worker_left()
