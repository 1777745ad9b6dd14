"""Finding the files of a ``*_dataset_from_directory`` call, with their labels.

The listing order, the shuffle (NumPy ``RandomState(seed)``) and the
training/validation cut follow Keras's, so a seed gives the same files in the
same order and the same two subsets as under Keras.
"""

import os

import numpy as np

from jaxlayers.backend import print_msg
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both", None)


def check_arguments(owner, labels, label_mode, class_names, validation_split, subset, shuffle,
                    seed):
    """Validates the arguments shared by the ``*_dataset_from_directory`` functions.

    Args:
        owner: The calling function's name, for messages.
        labels: ``"inferred"``, ``None`` or a list of labels.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``.
        class_names: ``None`` or the list of class folder names.
        validation_split: ``None`` or a float in ``(0, 1)``.
        subset: ``None``, ``"training"``, ``"validation"`` or ``"both"``.
        shuffle: Bool.
        seed: ``None`` or an int (needed to split shuffled files).

    Raises:
        ConfigError: A value, or a combination, that Keras refuses.
        ConfigTypeError: ``labels`` of another type.

    Example:
        >>> check_arguments("demo", "inferred", "int", None, 0.2, None, True, None)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: demo: pass `validation_split` and `subset` together ...
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ConfigTypeError(
                f"{owner}: `labels` must be 'inferred' (from the subfolder names), None (no "
                "labels) or a list of integer labels, one per file in sorted path order. "
                f"Received: labels={labels!r}."
            )
        if class_names:
            raise ConfigError(
                f"{owner}: `class_names` can only be given with labels='inferred'. "
                f"Received: labels={labels!r}, class_names={class_names!r}."
            )
    if label_mode not in LABEL_MODES:
        raise ConfigError(
            f"{owner}: `label_mode` must be one of {LABEL_MODES}. "
            f"Received: label_mode={label_mode!r}."
        )
    if validation_split is not None and not (isinstance(validation_split, (int, float))
                                             and 0 < validation_split < 1):
        raise ConfigError(
            f"{owner}: `validation_split` must be a float in (0, 1) or None. "
            f"Received: validation_split={validation_split!r}."
        )
    if subset not in SUBSETS:
        raise ConfigError(
            f"{owner}: `subset` must be one of {SUBSETS}. Received: subset={subset!r}."
        )
    if bool(validation_split) != bool(subset):
        raise ConfigError(
            f"{owner}: pass `validation_split` and `subset` together (or neither). Received: "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    if validation_split and shuffle and seed is None:
        raise ConfigError(
            f"{owner}: with `validation_split` and shuffle=True, pass a `seed`, so that the "
            "training and validation subsets (drawn in separate calls) do not overlap. "
            "Received: seed=None."
        )


def _class_folders(owner, directory, class_names):
    folders = sorted(name for name in os.listdir(directory)
                     if not name.startswith(".") and os.path.isdir(os.path.join(directory, name)))
    if class_names is None:
        return folders
    missing = [name for name in class_names if name not in folders]
    if missing:
        raise ConfigError(
            f"{owner}: every name in `class_names` must be a subfolder of {directory!r}. "
            f"Subfolders: {folders}. Received: class_names={list(class_names)!r} "
            f"(not found: {missing})."
        )
    return list(class_names)


def _files_under(folder, formats, follow_links):
    """Relative paths of the matching files under ``folder``, in Keras's sorted walk order."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_directory(owner, directory, labels, formats, class_names=None, shuffle=True,
                    seed=None, follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` for the files of ``directory``.

    Args:
        owner: The public function asking, for messages.
        directory: Folder to read; with ``labels='inferred'`` each subfolder is a class.
        labels: ``'inferred'``, ``None`` or a list of int labels (sorted path order).
        formats: Tuple of accepted lowercase file extensions.
        class_names: With ``labels='inferred'``, the classes (subfolders) to use, in order.
        shuffle: Shuffle the files (with ``seed``) or keep them sorted.
        seed: Seed of the shuffle.
        follow_links: Also walk into symlinked subfolders.
        verbose: Print how many files and classes were found.

    Returns:
        File paths, an int32 array of labels (``None`` without labels), and
        the class names (``None`` without labels).

    Example:
        >>> import os
        >>> for name in ("cat", "dog"):
        ...     os.makedirs(f"index/{name}")
        ...     open(f"index/{name}/0.png", "wb").close()
        >>> paths, labels, names = index_directory("demo", "index", "inferred", (".png",),
        ...                                        shuffle=False, verbose=False)
        >>> paths, labels.tolist(), names
        (['index/cat/0.png', 'index/dog/0.png'], [0, 1], ['cat', 'dog'])
    """
    if not os.path.isdir(directory):
        raise DataError(f"{owner}: `directory` must be a folder. Received: {directory!r}.")
    inferred = labels == "inferred"
    folders = _class_folders(owner, directory, class_names) if inferred else [""]
    paths, found_labels = [], []
    for index, folder in enumerate(folders):
        for relative in _files_under(os.path.join(directory, folder), formats, follow_links):
            paths.append(os.path.join(directory, folder, relative))
            found_labels.append(index)
    if inferred:
        labels, names = np.asarray(found_labels, np.int32), folders
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise DataError(
                f"{owner}: `labels` must have one label per file: {len(paths)} files were found "
                f"in {directory!r}. Received: {len(labels)} labels."
            )
        names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        what = "" if labels is None else f" belonging to {len(names)} classes"
        print_msg(f"Found {len(paths)} files{what}.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(10**6)
        # Two generators from one seed apply the same permutation to both lists.
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def split_subset(owner, paths, labels, validation_split, subset, verbose=True):
    """The ``'training'`` (first) or ``'validation'`` (last) part of the files.

    Args:
        owner: The calling function's name, for messages.
        paths: The file paths, in their final order.
        labels: One label per path, or ``None``.
        validation_split: Fraction of the files kept for validation, or ``None``.
        subset: ``"training"`` or ``"validation"``.
        verbose: Print how many files the subset uses.

    Returns:
        ``(paths, labels)`` of the subset.

    Example:
        >>> split_subset("demo", list("abcde"), np.array([0, 0, 1, 1, 1]), 0.4, "validation",
        ...              verbose=False)
        (['d', 'e'], array([1, 1]))
    """
    if not validation_split:
        return paths, labels
    num_val = int(validation_split * len(paths))
    if num_val == 0 or num_val == len(paths):
        raise DataError(
            f"{owner}: validation_split={validation_split} of {len(paths)} files leaves "
            f"{'no validation' if num_val == 0 else 'no training'} files."
        )
    cut = len(paths) - num_val
    part = slice(0, cut) if subset == "training" else slice(cut, None)
    if verbose:
        print_msg(f"Using {cut if subset == 'training' else num_val} files for {subset}.")
    return paths[part], (None if labels is None else labels[part])


def encode_labels(labels, label_mode, num_classes):
    """Labels as Keras yields them: int32 ids, float32 ``(n, 1)`` or float32 one-hot.

    Args:
        labels: Integer class ids.
        label_mode: ``"int"``, ``"binary"`` or ``"categorical"``.
        num_classes: The number of classes (one-hot width).

    Returns:
        The encoded labels.

    Example:
        >>> encode_labels(np.array([0, 1, 1]), "categorical", 2).tolist()
        [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    """
    if label_mode == "binary":
        return np.asarray(labels, np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]
    return np.asarray(labels, np.int32)


__all__ = ["check_arguments", "index_directory", "split_subset", "encode_labels",
           "LABEL_MODES", "SUBSETS"]
