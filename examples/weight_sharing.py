"""How can backprop keep one set of weights across 900 positions? (seed question 002)

A 32x32 grayscale image and one 3x3 filter give a 30x30 feature map with 9 + 1 = 10
parameters. The filter is used at 30 * 30 = 900 positions; backprop sends it one gradient per
position, and its gradient is the SUM of those 900 gradients. This script shows it three ways:
a naive loop that reuses one weight tensor 900 times, the fast `nn.functional.conv2d`, and
minigrad's per-use gradient ledger (`mg.inspect.record_contributions`), which keeps every one
of the 900 contributions. It also draws the graph of a 5x5 case, where the kernel's 9 uses are
9 edges out of one node.

    python examples/weight_sharing.py --out out
"""
import argparse
import os

import numpy as np

import minigrad as mg
import nn


def naive_conv(image: mg.Tensor, kernel: mg.Tensor, bias: mg.Tensor) -> mg.Tensor:
    """The same kernel and bias applied at every position by a Python loop (no sharing trick).

    Shapes: image (H, W), kernel (KH, KW), bias () -> out (H - KH + 1, W - KW + 1)
    """
    kh, kw = kernel.shape
    oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    outs = [(image[i:i + kh, j:j + kw] * kernel).sum() + bias
            for i in range(oh) for j in range(ow)]
    return mg.stack(outs).reshape(oh, ow)


def _rows_sorted(grads: np.ndarray) -> np.ndarray:
    """(K, 3, 3) -> (K, 9) rows in lexicographic order: backward sends the per-use gradients
    in its own order, so compare them as a set."""
    rows = grads.reshape(len(grads), -1)
    return rows[np.lexsort(rows.T[::-1])]


def draw_small_case(out_dir: str) -> dict:
    """The graph of a 3x3 kernel over a 5x5 image: 9 uses of one kernel, drawn as 9 edges."""
    image = mg.randn(5, 5)
    kernel = mg.randn(3, 3, requires_grad=True)
    bias = mg.zeros((), requires_grad=True)
    loss = naive_conv(image, kernel, bias).sum()
    names = {"kernel": kernel, "bias": bias}
    files = {"dot": os.path.join(out_dir, "weight_sharing_graph.dot")}
    text = mg.viz.to_dot(loss, params=names)
    with open(files["dot"], "w") as file:
        file.write(text)
    try:
        graph = mg.viz.draw_graph(loss, params=names)
        files["svg"] = graph.render(os.path.join(out_dir, "weight_sharing_graph"),
                                    format="svg", cleanup=True)
    except (ImportError, RuntimeError) as error:
        print(f"note: skipped the SVG picture ({error}); the DOT text is in {files['dot']}")
    kernel_line = next(line for line in text.splitlines() if 'label="kernel' in line)
    uses = int(kernel_line.split("used ")[1].split("x")[0])
    print(f"5x5 case: the kernel node is used {uses} times (one edge per position) "
          f"-> {', '.join(files.values())}")
    return {"files": files, "kernel_uses": uses}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="one 3x3 filter shared over 900 positions")
    parser.add_argument("--out", default="out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)

    conv = nn.Conv2D(1, 1, kernel_size=3)
    image = mg.randn(32, 32)
    n_params = sum(p.numel() for p in conv.parameters())
    upstream = mg.randn(30, 30)             # a random dLoss/d(output), not just ones
    fast_out = conv(image.reshape(1, 1, 32, 32))
    print(f"image {image.shape}, filter {conv.weight.shape} -> feature map {fast_out.shape}; "
          f"parameters: {conv.weight.numel()} weights + {conv.bias.numel()} bias = {n_params}")
    (fast_out.reshape(30, 30) * upstream).sum().backward()
    fast_grad = conv.weight.grad.numpy()[0, 0]

    # The naive loop: one weight tensor, reused at 900 positions.
    kernel = mg.tensor(conv.weight.numpy()[0, 0], requires_grad=True)
    bias = mg.tensor(conv.bias.numpy()[0], requires_grad=True)
    naive_out = naive_conv(image, kernel, bias)
    with mg.inspect.record_contributions(kernel=kernel) as ledger:
        (naive_out * upstream).sum().backward()
    contributions = ledger[kernel]

    # The 900 per-position gradients by hand: d(out[i, j])/d(kernel) = the patch under it.
    img, g = image.numpy(), upstream.numpy()
    per_position = np.stack([g[i, j] * img[i:i + 3, j:j + 3]
                             for i in range(30) for j in range(30)])
    by_hand = per_position.sum(axis=0)

    same_forward = float(np.abs(naive_out.numpy() - fast_out.numpy()[0, 0]).max())
    diffs = {"naive_vs_conv2d": float(np.abs(kernel.grad.numpy() - fast_grad).max()),
             "sum_of_900_vs_conv2d": float(np.abs(by_hand - fast_grad).max()),
             "ledger_vs_grad": float(np.abs(ledger.total(kernel) - kernel.grad.numpy()).max()),
             "ledger_parts_vs_by_hand": float(np.abs(
                 _rows_sorted(np.stack([c.grad for c in contributions]))
                 - _rows_sorted(per_position)).max())}
    print(f"forward: naive loop vs conv2d differ by at most {same_forward:.2e}")
    print(f"per-position gradients: {len(per_position)} arrays of shape {per_position.shape[1:]};"
          f" the ledger recorded {len(contributions)} contributions from op "
          f"'{contributions[0].op}'")
    print("kernel gradient, conv2d:\n", np.array2string(fast_grad, precision=4))
    print("kernel gradient, sum of the 900 per-position gradients:\n",
          np.array2string(by_hand, precision=4))
    for name, value in diffs.items():
        print(f"  max |difference| {name.replace('_', ' ')}: {value:.2e}")
    print(f"bias gradient: conv2d {conv.bias.grad.item():.4f}, naive {bias.grad.item():.4f}, "
          f"sum of the upstream gradient {g.sum():.4f}")
    small = draw_small_case(args.out)
    return {"out_shape": fast_out.shape, "n_params": n_params,
            "n_positions": len(per_position), "n_contributions": len(contributions),
            "diffs": diffs, "forward_diff": same_forward, "fast_grad": fast_grad,
            "by_hand": by_hand, "kernel_uses_5x5": small["kernel_uses"],
            "files": small["files"]}


if __name__ == "__main__":
    main()
