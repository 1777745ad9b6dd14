"""Where each dataset file comes from: Keras's public URLs and their hashes.

``SOURCES`` maps a file's name to ``(url, file_hash)``.  Every loader
fetches through :func:`jaxlayers.utils.get_file` with this table, so files
land in Keras's cache layout (``~/.keras/datasets`` or ``$KERAS_HOME``) and
are checked against the hash; to read from a mirror, replace an entry's URL.
Keras publishes no hash for the Fashion-MNIST files; their loader checks the
IDX headers and sizes instead.
"""

from jaxlayers.utils.downloads import get_file

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

SOURCES = {
    "mnist.npz": (KERAS_DATASETS + "mnist.npz",
                  "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "train-labels-idx1-ubyte.gz": (KERAS_DATASETS + "train-labels-idx1-ubyte.gz", None),
    "train-images-idx3-ubyte.gz": (KERAS_DATASETS + "train-images-idx3-ubyte.gz", None),
    "t10k-labels-idx1-ubyte.gz": (KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz", None),
    "t10k-images-idx3-ubyte.gz": (KERAS_DATASETS + "t10k-images-idx3-ubyte.gz", None),
    "cifar-10-batches-py-target": (
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    "cifar-100-python-target": (
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
    "imdb.npz": (KERAS_DATASETS + "imdb.npz",
                 "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": (KERAS_DATASETS + "imdb_word_index.json",
                             "bfafd718b763782e994055a2d397834f"),
    "reuters.npz": (KERAS_DATASETS + "reuters.npz",
                    "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "reuters_word_index.json": (KERAS_DATASETS + "reuters_word_index.json",
                                "4d44cc38712099c9e383dc6e5f11a921"),
    "boston_housing.npz": (KERAS_DATASETS + "boston_housing.npz",
                           "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    "california_housing.npz": (
        KERAS_DATASETS + "california_housing.npz",
        "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"),
}


def fetch(source, fname=None, cache_subdir="datasets", extract=False):
    """The cached path of ``SOURCES[source]`` (downloaded and hash-checked if needed).

    Args:
        source: A key of :data:`SOURCES`.
        fname: Name in the cache folder (default: ``source``).
        cache_subdir: Folder under the cache root.
        extract: Extract the archive and return its folder.

    Returns:
        The file's path (the extracted folder's with ``extract=True``).

    Example:
        ``fname`` is checked before anything is downloaded:

        >>> fetch("mnist.npz", fname="data/mnist.npz")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: get_file: `fname` must be a plain file name; ...
    """
    url, file_hash = SOURCES[source]
    return get_file(fname or source, origin=url, file_hash=file_hash, cache_subdir=cache_subdir,
                    extract=extract)


__all__ = ["SOURCES", "KERAS_DATASETS", "fetch"]
