"""Run by tests/distributed/test_mpi.py under `mpiexec -n 2 python worker.py SCENARIO [DIR]`.

Every rank runs the same scenario; a failed check raises, which ends the job (nn.parallel
aborts every rank on an uncaught exception). Each rank prints `rank R ok SCENARIO` at the end.
"""
import shutil
import sys
import tempfile

import numpy as np

import minigrad as mg
import nn
from nn import parallel

STEPS = 5


def make_model(seed: int, batch_norm=None, classes: int = 3) -> nn.Module:
    """conv -> [norm] -> relu -> pool -> dense. Shapes: (N, 1, 8, 8) -> (N, classes)."""
    mg.manual_seed(seed)
    layers = [nn.Conv2D(1, 4, 3, bias=batch_norm is None)]    # BN cancels a conv bias
    if batch_norm is not None:
        layers.append(batch_norm(4))
    layers += [nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(4 * 3 * 3, classes)]
    return nn.Sequential(*layers)


def make_data(n: int = 32) -> nn.data.TensorDataset:
    rng = np.random.default_rng(123)
    return nn.data.TensorDataset(mg.Tensor(rng.standard_normal((n, 1, 8, 8)).astype(np.float32)),
                                 mg.Tensor(rng.integers(0, 3, n)))


def gather(array: np.ndarray) -> list:
    return parallel.get_comm().allgather(np.ascontiguousarray(array))


def assert_same_on_all_ranks(model: nn.Module, what: str) -> None:
    for name, param in model.named_parameters():
        value = param.numpy() if what == "params" else param.grad.numpy()
        for other in gather(value)[1:]:
            assert np.array_equal(other, value), f"{what} of {name} differ between ranks"


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def train_step(model, optimizer, x, y) -> None:
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def check_equivalence(rank: int, world: int, batch_norm=None, tolerance=1e-6) -> None:
    """2 ranks x batch 16 == 1 process x batch 32 after 5 SGD-momentum steps (same samples);
    gradients and parameters identical on every rank after each step."""
    data = make_data(16 * world)
    reference = make_model(100, nn.BatchNorm2D if batch_norm else None)
    # every rank starts from different weights: DDP must copy rank 0's (seed 100)
    model = make_model(100 + rank, batch_norm)
    ddp = parallel.DDP(model, bucket_cap_mb=0.0002)          # several buckets
    assert len(ddp._reducer.buckets) >= 3
    optimizer = nn.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    reference_optimizer = nn.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    sampler = parallel.DistributedSampler(data, shuffle=True, seed=7)
    x_all, y_all = (t.numpy() for t in data.tensors)
    for step in range(STEPS):
        sampler.set_epoch(step)
        mine = sampler.indices()
        everyone = np.concatenate(gather(mine))
        assert sorted(everyone.tolist()) == list(range(len(data)))
        train_step(ddp, optimizer, mg.Tensor(x_all[mine]), mg.Tensor(y_all[mine]))
        assert_same_on_all_ranks(model, "grads")
        assert_same_on_all_ranks(model, "params")
        train_step(reference, reference_optimizer, mg.Tensor(x_all[everyone]),
                   mg.Tensor(y_all[everyone]))
    for (name, param), ref in zip(model.named_parameters(), reference.parameters()):
        error = relative_error(param.numpy(), ref.numpy())
        assert error <= tolerance, f"{name}: relative error {error:.2e} vs one process"
    if batch_norm is not None:
        for (name, buffer), ref in zip(model.named_buffers(), reference.buffers()):
            error = relative_error(buffer.numpy(), ref.numpy())
            assert error <= tolerance, f"{name}: relative error {error:.2e} vs one process"


class RecordingComm:
    """Wraps the reducer's communicator: notes how many parameters were still waiting for
    their gradient each time a bucket's all-reduce started."""

    def __init__(self, comm, reducer):
        self.comm, self.reducer, self.waiting_at_start = comm, reducer, []

    def Iallreduce(self, *args, **kwargs):
        self.waiting_at_start.append(self.reducer.ready.count(False))
        return self.comm.Iallreduce(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.comm, name)


def check_overlap(rank: int, world: int) -> None:
    """Buckets start their all-reduce during backward, while earlier layers still wait."""
    ddp = parallel.DDP(make_model(1), bucket_cap_mb=0.0002)
    recorder = RecordingComm(ddp._reducer.comm, ddp._reducer)
    ddp._reducer.comm = recorder
    x, y = (t[:8] for t in make_data().tensors)
    nn.functional.cross_entropy(ddp(x), y).backward()
    assert len(recorder.waiting_at_start) == len(ddp._reducer.buckets)
    assert recorder.waiting_at_start[0] > 0, recorder.waiting_at_start
    assert recorder.waiting_at_start[-1] == 0


def check_no_sync(rank: int, world: int) -> None:
    """Gradients accumulated under no_sync stay local; the next synced backward averages
    the sum of both micro-batches."""
    data = make_data(32 * world)
    x_all, y_all = (t.numpy() for t in data.tensors)
    model = make_model(3)
    ddp = parallel.DDP(model)
    reference = make_model(3)
    halves = [np.arange(32 * world)[i::2] for i in range(2)]    # two micro-batches
    for micro, indices in enumerate(halves):
        mine = indices[rank::world]
        loss = nn.functional.cross_entropy(reference(mg.Tensor(x_all[indices])),
                                           mg.Tensor(y_all[indices]))
        loss.backward()
        if micro == 0:
            with ddp.no_sync():
                nn.functional.cross_entropy(ddp(mg.Tensor(x_all[mine])),
                                            mg.Tensor(y_all[mine])).backward()
            grads = gather(model[0].weight.grad.numpy())
            assert world == 1 or not np.array_equal(grads[0], grads[1]), "no_sync communicated"
        else:
            nn.functional.cross_entropy(ddp(mg.Tensor(x_all[mine])),
                                        mg.Tensor(y_all[mine])).backward()
    assert_same_on_all_ranks(model, "grads")
    for param, ref in zip(model.parameters(), reference.parameters()):
        assert relative_error(param.grad.numpy(), ref.grad.numpy()) <= 1e-5


class Branches(nn.Module):
    """Uses `extra` only on rank 0; `never` on no rank."""

    def __init__(self):
        super().__init__()
        self.main = nn.Dense(4, 2)
        self.extra = nn.Dense(4, 2)
        self.never = nn.Dense(4, 2)

    def forward(self, x, use_extra: bool):
        out = self.main(x)
        return out + self.extra(x) if use_extra else out


def check_unused_parameters(rank: int, world: int) -> None:
    mg.manual_seed(5)
    model = Branches()
    ddp = parallel.DDP(model, find_unused_parameters=True)
    x = mg.ones(3, 4) * (rank + 1)
    ddp(x, use_extra=rank == 0).sum().backward()
    assert_same_on_all_ranks(model.main, "grads")
    assert_same_on_all_ranks(model.extra, "grads")
    # extra: rank 0's gradient (3 rows of ones, summed: 3) averaged with rank 1's zeros
    expected = np.full((2, 4), 3.0 / world, dtype=np.float32)
    np.testing.assert_allclose(model.extra.weight.grad.numpy(), expected, rtol=1e-6)
    assert model.never.weight.grad is None and model.never.bias.grad is None
    strict = parallel.DDP(Branches(), find_unused_parameters=False)
    try:
        strict(x, use_extra=False)
    except RuntimeError as error:
        message = str(error)
        assert "['extra.weight', 'extra.bias', 'never.weight', 'never.bias']" in message, message
        assert "find_unused_parameters=True" in message
    else:
        raise AssertionError("an unused parameter did not raise")


def check_buffers_broadcast(rank: int, world: int) -> None:
    """Rank 0's buffers reach every rank at construction and before each training forward
    (PyTorch's broadcast_buffers=True); each rank then updates them with its own batch."""
    model = make_model(rank, nn.BatchNorm2D)
    norm = model[1]
    norm.running_mean.data[...] = rank + 1.0
    ddp = parallel.DDP(model)
    np.testing.assert_array_equal(norm.running_mean.numpy(), np.ones(4, dtype=np.float32))
    norm.running_var.data[...] = rank + 5.0
    x = make_data().tensors[0][4 * rank:4 * rank + 4]
    with mg.no_grad():
        batch = model[0](x).numpy()
    ddp(x)
    unbiased = batch.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(norm.running_var.numpy(), 0.9 * 5.0 + 0.1 * unbiased, rtol=1e-5)


def check_sub_communicator(rank: int, world: int) -> None:
    """DDP over a sub-group: split the world into groups of one rank each, so nothing is
    averaged across groups and each rank keeps its own gradient."""
    from mpi4py import MPI
    sub = MPI.COMM_WORLD.Split(color=rank, key=0)
    assert parallel.world_size(sub) == 1 and parallel.rank(sub) == 0
    model = make_model(20 + rank)
    local = make_model(20 + rank)
    ddp = parallel.DDP(model, comm=sub)
    x, y = (t[8 * rank:8 * rank + 8] for t in make_data().tensors)
    nn.functional.cross_entropy(ddp(x), y).backward()
    nn.functional.cross_entropy(local(x), y).backward()
    for param, ref in zip(model.parameters(), local.parameters()):
        np.testing.assert_array_equal(param.grad.numpy(), ref.grad.numpy())
    grads = gather(model[0].weight.grad.numpy())
    assert world == 1 or not np.array_equal(grads[0], grads[1])


def check_checkpoint_failures(rank: int, world: int) -> None:
    """A failed write on rank 0, or a file one rank cannot read, raises on every rank."""
    expect_error(RuntimeError, "nn.parallel.save: rank 0 could not write /no/such/folder/c.npz",
                 lambda: parallel.save({"step": 1}, "/no/such/folder/c.npz"))
    folder = parallel.get_comm().bcast(tempfile.mkdtemp() if rank == 0 else None, root=0)
    parallel.save({"step": 1}, f"{folder}/c.npz")
    assert parallel.load(f"{folder}/c.npz")["step"] == 1
    readable_on_rank_0_only = f"{folder}/c.npz" if rank == 0 else f"{folder}/missing.npz"
    if world > 1:
        expect_error(RuntimeError, f"rank 1 could not read the file (FileNotFoundError: "
                     f"load: no such file: {folder}/missing.npz)",
                     lambda: parallel.load(readable_on_rank_0_only))
    parallel.barrier()
    if rank == 0:
        shutil.rmtree(folder)


def check_sync_batchnorm_options(rank: int, world: int) -> None:
    """affine=False, track_running_stats=False (global batch statistics in eval mode too)
    and momentum=None match BatchNorm2D on all ranks' samples in one process."""
    x_all = make_data(8 * world).tensors[0]
    mine = slice(8 * rank, 8 * rank + 8)
    for options in ({"affine": False, "track_running_stats": False}, {"momentum": None}):
        sync, reference = parallel.SyncBatchNorm2D(1, **options), nn.BatchNorm2D(1, **options)
        for mode in ("train", "eval"):
            getattr(sync, mode)()
            getattr(reference, mode)()
            for _ in range(2):
                ours, expected = sync(x_all[mine]).numpy(), reference(x_all).numpy()[mine]
                np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
        assert sync.state_dict().keys() == reference.state_dict().keys()
        for key, value in reference.state_dict().items():
            np.testing.assert_allclose(sync.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)
    converted = parallel.SyncBatchNorm2D.convert_sync_batchnorm(
        nn.Sequential(nn.BatchNorm2D(2, affine=False, track_running_stats=False)))
    assert (converted[0].affine, converted[0].track_running_stats) == (False, False)


def scenario_correctness(rank: int, world: int) -> None:
    check_equivalence(rank, world)
    check_equivalence(rank, world, parallel.SyncBatchNorm2D, tolerance=1e-5)
    check_overlap(rank, world)
    check_no_sync(rank, world)
    check_unused_parameters(rank, world)
    check_buffers_broadcast(rank, world)
    check_sub_communicator(rank, world)
    check_checkpoint_failures(rank, world)
    check_sync_batchnorm_options(rank, world)


def scenario_mismatch(rank: int, world: int) -> None:
    """Ranks with different models: every rank raises, naming the first difference."""
    for classes, extra, expected in ((3 + rank, False, "'4.weight' of shape (3, 36)"),
                                     (3, rank == 1, "missing on rank 0")):
        model = make_model(0, classes=classes)
        if extra:
            model.append(nn.Dense(3, 3))
        try:
            parallel.DDP(model)
        except RuntimeError as error:
            assert expected in str(error) and "build the same model on every rank" in str(error), \
                str(error)
        else:
            raise AssertionError("different models did not raise")


def scenario_raise(rank: int, world: int) -> None:
    """Rank 1 fails between forward and backward; rank 0 goes on into the all-reduce."""
    ddp = parallel.DDP(make_model(0))
    x, y = (t[:4] for t in make_data().tensors)
    loss = nn.functional.cross_entropy(ddp(x), y)
    if rank == 1:
        raise ValueError("boom on rank 1")
    loss.backward()
    print("rank 0 finished a step it should not have", flush=True)


def resume_run(first_step: int, folder: str) -> nn.Module:
    """Adam with dropout: steps first_step .. 2*STEPS-1, checkpointing after step STEPS-1."""
    rank = parallel.rank()
    model = nn.Sequential(make_model(11), nn.Dropout(0.3))
    ddp = parallel.DDP(model)
    optimizer = nn.optim.Adam(ddp.parameters(), lr=1e-2)
    if first_step:
        checkpoint = parallel.load(f"{folder}/ckpt.npz")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
    data = make_data(64)
    sampler = parallel.DistributedSampler(data, seed=3)
    loader = nn.data.DataLoader(data, batch_size=8, sampler=sampler)
    for step in range(first_step, 2 * STEPS):
        sampler.set_epoch(step)
        mg.manual_seed(1000 * step + rank)      # this rank's dropout masks for this step
        for x, y in loader:
            train_step(ddp, optimizer, x, y)
        if step == STEPS - 1:
            parallel.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                           "step": step}, f"{folder}/ckpt.npz")
    return model


def scenario_resume_first(rank: int, world: int, folder: str) -> None:
    model = resume_run(0, folder)
    parallel.save(model.state_dict(), f"{folder}/straight.npz")


def scenario_resume_second(rank: int, world: int, folder: str) -> None:
    model = resume_run(STEPS, folder)
    straight = parallel.load(f"{folder}/straight.npz")
    for name, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), straight[name].numpy()), f"{name} differs"


def expect_error(error_type, text: str, call) -> None:
    try:
        call()
    except error_type as error:
        assert text in str(error), f"expected {text!r} in {error}"
    else:
        raise AssertionError(f"no {error_type.__name__} ({text})")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Dense(4, 2), nn.Dense(4, 2)

    def forward(self, x):
        return self.first(x), self.second(x)


def check_bad_input_and_misuse() -> None:
    """Errors at the public entries, and DDP's step state (one rank is enough for these)."""
    expect_error(TypeError, "module must be an nn.Module, got function",
                 lambda: parallel.DDP(lambda x: x))
    expect_error(ValueError, "bucket_cap_mb must be a positive number (MiB), got 0",
                 lambda: parallel.DDP(make_model(0), bucket_cap_mb=0))
    expect_error(ValueError, "no parameter that requires a gradient",
                 lambda: parallel.DDP(nn.ReLU()))
    expect_error(TypeError, "comm must be an mpi4py communicator (MPI.Comm), got str",
                 lambda: parallel.init("world"))
    expect_error(TypeError, "comm must be an mpi4py communicator (MPI.Comm), got int",
                 lambda: parallel.DDP(make_model(0), comm=3))
    norm = parallel.SyncBatchNorm2D(4)
    expect_error(ValueError, "expected input of shape (N, 4, H, W), got (2, 3, 5, 5)",
                 lambda: norm(mg.zeros(2, 3, 5, 5)))
    expect_error(ValueError, "more than 1 value per channel over all ranks to estimate a "
                 "variance, got 1",
                 lambda: norm(mg.zeros(1, 4, 1, 1)))
    x, y = (t[:4] for t in make_data().tensors)
    ddp = parallel.DDP(make_model(0))
    ddp(x)                                     # a forward without backward is forgotten
    ddp.eval()
    ddp(x)                                     # eval forwards with gradients on: no reduction
    ddp.train()
    loss = nn.functional.cross_entropy(ddp(x), y)
    loss.backward(retain_graph=True)
    expect_error(RuntimeError, "parameter '4.weight' got a second gradient in one step",
                 loss.backward)
    heads = parallel.DDP(TwoHeads())
    first, _ = heads(mg.ones(2, 4))
    first.sum().backward()                     # 'second' is in the graph but gets no gradient
    expect_error(RuntimeError, "no gradient reached ['second.weight', 'second.bias']",
                 lambda: heads(mg.ones(2, 4)))


def check_sync_batchnorm_gradient() -> None:
    """In a world of one, SyncBatchNorm2D is BatchNorm2D: gradcheck in float64, and the same
    output as BatchNorm2D; convert_sync_batchnorm keeps the state and the order of layers."""
    norm = parallel.SyncBatchNorm2D(3)
    x = mg.randn(4, 3, 2, 2, dtype=mg.float64, requires_grad=True)
    weight = mg.randn(3, dtype=mg.float64, requires_grad=True)
    norm.weight, norm.bias = nn.Parameter(weight), nn.Parameter(mg.zeros(3, dtype=mg.float64))
    assert mg.gradcheck(lambda t, w: norm(t) * w.reshape(1, 3, 1, 1), (x, weight))
    model = nn.Sequential(nn.Conv2D(1, 3, 3), nn.BatchNorm2D(3), nn.ReLU())
    model[1].running_mean.data[...] = 0.5
    converted = parallel.SyncBatchNorm2D.convert_sync_batchnorm(model)
    assert converted is model and type(model[1]) is parallel.SyncBatchNorm2D
    assert [type(m).__name__ for m in model] == ["Conv2D", "SyncBatchNorm2D", "ReLU"]
    np.testing.assert_array_equal(model[1].running_mean.numpy(), np.full(3, 0.5, np.float32))
    reference = nn.BatchNorm2D(3)
    x = mg.randn(5, 3, 4, 4)
    np.testing.assert_allclose(parallel.SyncBatchNorm2D(3)(x).numpy(), reference(x).numpy(),
                               rtol=1e-5, atol=1e-6)


def scenario_single(rank: int, world: int) -> None:
    """Without mpiexec: a world of one rank, and DDP gives the plain gradients."""
    assert (rank, world) == (0, 1) and parallel.is_initialized()
    check_equivalence(rank, world)
    check_unused_parameters(rank, world)
    check_bad_input_and_misuse()
    check_sync_batchnorm_gradient()
    check_sync_batchnorm_options(rank, world)


if __name__ == "__main__":
    scenario = sys.argv[1]
    parallel.init()
    arguments = (parallel.rank(), parallel.world_size(), *sys.argv[2:])
    globals()[f"scenario_{scenario}"](*arguments)
    parallel.barrier()
    print(f"rank {arguments[0]} ok {scenario}", flush=True)
