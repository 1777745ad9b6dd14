"""What several examples share: scikit-learn's digits, matplotlib, and the command line.

Each example imports this module from its own folder (``python examples/x.py``
puts ``examples/`` on ``sys.path``); copy it along with an example you copy.
"""

import argparse
import inspect
import os

import numpy as np

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def load_digits(seed=0, flat=False, classes=None, test_fraction=0.2):
    """Scikit-learn's 1,797 8x8 digits (shipped with it, never downloaded), shuffled and split.

    Args:
        seed: Seed of the shuffle.
        flat: ``True`` gives rows of 64 pixels, ``False`` images of shape ``(8, 8, 1)``.
        classes: Digits to keep (labels stay the digits themselves); ``None`` keeps all ten.
        test_fraction: Share of the rows held out for testing.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 pixels in ``[0, 1]``, int32 labels.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "This example needs scikit-learn for its bundled digits data: "
            "pip install -e '.[examples]'"
        ) from e
    digits = sk_load_digits()
    x = digits.images.astype(np.float32) / 16.0
    x = x.reshape(len(x), 64) if flat else x[..., None]
    y = digits.target.astype(np.int32)
    if classes is not None:
        keep = np.isin(y, classes)
        x, y = x[keep], y[keep]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int((1 - test_fraction) * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def pyplot():
    """matplotlib's ``pyplot`` on the file-only Agg backend, or an error naming the extra."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "Saving an example's picture needs matplotlib, part of the examples extra: "
            "pip install -e '.[examples]' (or pass plot=None)."
        ) from e
    matplotlib.use("Agg")  # no display needed: the picture only goes to a file
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path):
    """Writes ``fig`` to ``path`` as a PNG (creating its folder), closes it, prints the path."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    pyplot().close(fig)
    print(f"saved picture: {path}")
    return path


def plot_curves(path, history, keys, title):
    """Training curves: one panel per key of ``history`` (a ``History.history`` dict)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        ax.plot(np.arange(1, len(history[key]) + 1), history[key], label=key)
        if f"val_{key}" in history:
            ax.plot(np.arange(1, len(history[key]) + 1), history[f"val_{key}"],
                    label=f"val_{key}")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_confusion(path, y_true, y_pred, labels, title):
    """A confusion matrix of integer labels, counts written in each cell."""
    plt = pyplot()
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), np.int64)
    for t, p in zip(y_true, y_pred):
        counts[index[int(t)], index[int(p)]] += 1
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, str(n), ha="center", va="center",
                color="white" if n > counts.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), [str(label) for label in labels])
    ax.set_yticks(range(len(labels)), [str(label) for label in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return save_figure(fig, path)


def run_cli(main, file, doc):
    """Runs ``main`` with its keyword defaults as ``--options``; the picture goes to ``output/``.

    Every example's ``main`` takes ``plot``: the CLI passes
    ``examples/output/<example>.png`` unless ``--no-plot`` is given.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, parameter in inspect.signature(main).parameters.items():
        if name == "plot":
            continue
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(parameter.default),
                            default=parameter.default)
    parser.add_argument("--no-plot", action="store_true", help="do not save a picture")
    args = vars(parser.parse_args())
    name = os.path.splitext(os.path.basename(file))[0]
    plot = None if args.pop("no_plot") else os.path.join(OUTPUT_DIR, f"{name}.png")
    return main(**args, plot=plot)
