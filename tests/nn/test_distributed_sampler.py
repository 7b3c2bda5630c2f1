"""DistributedSampler (shards like PyTorch's), DataLoader(sampler=), and nn.parallel without
mpi4py. In-process, no MPI needed: ranks are given explicitly."""
import collections
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
import nn
from nn.data import DistributedSampler

ROOT = pathlib.Path(__file__).resolve().parents[2]


def shards(size, replicas, **kwargs):
    data = list(range(size))
    return [DistributedSampler(data, num_replicas=replicas, rank=r, **kwargs).indices()
            for r in range(replicas)]


@given(size=st.integers(0, 40), replicas=st.integers(1, 5), shuffle=st.booleans(),
       epoch=st.integers(0, 3))
def test_shards_cover_every_index_once_plus_the_padding(size, replicas, shuffle, epoch):
    parts = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(size), num_replicas=replicas, rank=rank,
                                     shuffle=shuffle, seed=5)
        sampler.set_epoch(epoch)
        parts.append(sampler.indices())
        assert len(parts[-1]) == len(sampler) == -(-size // replicas)
    counts = collections.Counter(np.concatenate(parts).tolist())
    assert set(counts) == set(range(size))
    padding = len(parts[0]) * replicas - size
    assert sum(counts.values()) == size + padding
    assert sum(c - 1 for c in counts.values()) == padding     # only padding repeats


@given(size=st.integers(0, 40), replicas=st.integers(1, 5))
def test_drop_last_gives_disjoint_equal_shards(size, replicas):
    parts = shards(size, replicas, shuffle=True, drop_last=True)
    flat = np.concatenate(parts).tolist()
    assert len(flat) == len(set(flat)) == size // replicas * replicas
    assert {len(p) for p in parts} == {size // replicas}


def test_shuffle_is_reproducible_per_epoch_and_changes_between_epochs():
    first, again = (DistributedSampler(range(20), num_replicas=2, rank=1, seed=3)
                    for _ in range(2))
    np.testing.assert_array_equal(first.indices(), again.indices())
    before = first.indices()
    first.set_epoch(1)
    assert not np.array_equal(before, first.indices())
    other_seed = DistributedSampler(range(20), num_replicas=2, rank=1, seed=4)
    assert not np.array_equal(before, other_seed.indices())


@pytest.mark.parametrize("size,replicas,drop_last", [(10, 3, False), (10, 3, True),
                                                     (2, 5, False), (7, 2, False),
                                                     (12, 4, True), (1, 3, False)])
def test_unshuffled_shards_equal_pytorch(size, replicas, drop_last):
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(size), num_replicas=replicas, rank=rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = TorchSampler(range(size), num_replicas=replicas, rank=rank, shuffle=False,
                              drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="rank 2 is out of range for num_replicas=2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1, got 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="epoch must be an int >= 0, got -1"):
        DistributedSampler(range(4), num_replicas=1, rank=0).set_epoch(-1)
    with pytest.raises(TypeError, match="dataset must define __len__"):
        DistributedSampler(iter(range(4)), num_replicas=1, rank=0)


def test_dataloader_batches_the_sampler_indices():
    x = mg.arange(10).reshape(10, 1).float()
    data = nn.data.TensorDataset(x, mg.arange(10))
    sampler = DistributedSampler(data, num_replicas=3, rank=1, shuffle=False)
    loader = nn.data.DataLoader(data, batch_size=2, sampler=sampler)
    assert len(loader) == 2
    labels = [y.tolist() for _, y in loader]
    assert labels == [[1, 4], [7, 0]]                  # rank 1 of 3, padded with index 0


def test_dataloader_sampler_errors():
    data = nn.data.TensorDataset(mg.zeros(4, 1), mg.zeros(4))
    sampler = DistributedSampler(data, num_replicas=1, rank=0)
    with pytest.raises(ValueError, match="sampler and shuffle=True are mutually exclusive"):
        nn.data.DataLoader(data, shuffle=True, sampler=sampler)
    with pytest.raises(TypeError, match="sampler must be an iterable of indices with __len__"):
        nn.data.DataLoader(data, sampler=3)
    big = DistributedSampler(range(9), num_replicas=1, rank=0, shuffle=False)
    with pytest.raises(IndexError, match="the sampler gave index 8 .* dataset of 4 samples"):
        list(nn.data.DataLoader(data, sampler=big))


def test_without_mpi4py_nn_imports_and_the_api_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None; sys.modules['mpi4py.MPI'] = None\n"
            "import minigrad, nn\n"
            "s = nn.data.DistributedSampler(range(4), num_replicas=2, rank=0)\n"
            "assert len(list(s)) == len(s) == 2\n"
            "for call in (nn.parallel.init, nn.parallel.world_size, nn.parallel.rank,\n"
            "             lambda: nn.parallel.DDP(nn.Dense(2, 2)),\n"
            "             lambda: nn.data.DistributedSampler(range(4))):\n"
            "    try:\n"
            "        call()\n"
            "    except ImportError as error:\n"
            "        print(error)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 5
    assert all('pip install "minigrad[distributed]"' in line for line in lines)
    assert all(line.startswith("nn.parallel needs mpi4py") for line in lines)
