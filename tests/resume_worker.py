"""Train a small CNN for some steps, optionally resuming from a checkpoint, then save one.

Used by tests/test_resume.py, which runs the second half in a fresh process:

    python tests/resume_worker.py sgd 7 --resume first.npz --save final.npz

The checkpoint holds everything the next step depends on: model and optimizer state, the
random generator's state now and at the start of the current epoch (the DataLoader draws the
epoch's shuffle from it), and the epoch / step counters. Resuming in the middle of an epoch
replays that epoch's shuffle from the saved epoch-start state, skips the batches already
seen, then restores the current state, so dropout and the next shuffles continue exactly.
"""
import argparse
import sys

import minigrad as mg
import nn

BATCHES_PER_EPOCH = 5


def build(optimizer: str):
    """Data, model, optimizer and loader, all drawn from seed 0."""
    mg.manual_seed(0)
    x = mg.randn(BATCHES_PER_EPOCH * 8, 1, 6, 6)
    y = mg.randint(0, 3, size=BATCHES_PER_EPOCH * 8)
    model = nn.Sequential(nn.Conv2D(1, 4, kernel_size=3), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dropout(0.25), nn.Dense(4 * 2 * 2, 3))
    if optimizer == "sgd":
        opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=8, shuffle=True)
    return model, opt, loader


class Trainer:
    """A training loop that can stop after any step and checkpoint."""

    def __init__(self, optimizer: str):
        self.model, self.opt, self.loader = build(optimizer)
        self.epoch, self.step_in_epoch, self.step = 0, 0, 0
        self.epoch_rng = None
        self.batches = None

    def train(self, steps: int) -> None:
        while steps > 0:
            if self.batches is None:
                self.epoch_rng = mg.get_rng_state()      # the shuffle is drawn from this
                self.batches = iter(self.loader)
            batch = next(self.batches, None)
            if batch is None:
                self.epoch, self.step_in_epoch, self.batches = self.epoch + 1, 0, None
                continue
            x, y = batch
            loss = nn.functional.cross_entropy(self.model(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.step_in_epoch += 1
            self.step += 1
            steps -= 1

    def checkpoint(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "rng": mg.get_rng_state(), "epoch_rng": self.epoch_rng, "epoch": self.epoch,
                "step_in_epoch": self.step_in_epoch, "step": self.step}

    def resume(self, checkpoint: dict) -> None:
        self.model.load_state_dict(checkpoint["model"])
        self.opt.load_state_dict(checkpoint["optimizer"])
        self.epoch, self.step = checkpoint["epoch"], checkpoint["step"]
        self.step_in_epoch = checkpoint["step_in_epoch"]
        self.batches = None
        if self.step_in_epoch:
            mg.set_rng_state(checkpoint["epoch_rng"])  # replay this epoch's shuffle
            self.epoch_rng = checkpoint["epoch_rng"]
            self.batches = iter(self.loader)
            for _ in range(self.step_in_epoch):
                next(self.batches)
        mg.set_rng_state(checkpoint["rng"])


def main(argv) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("optimizer", choices=["sgd", "adam"])
    parser.add_argument("steps", type=int)
    parser.add_argument("--resume", metavar="PATH")
    parser.add_argument("--save", metavar="PATH", required=True)
    args = parser.parse_args(argv)
    trainer = Trainer(args.optimizer)
    if args.resume:
        trainer.resume(mg.load(args.resume))
    trainer.train(args.steps)
    mg.save(trainer.checkpoint(), args.save)


if __name__ == "__main__":
    main(sys.argv[1:])
