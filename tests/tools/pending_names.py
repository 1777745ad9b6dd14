"""Prints the ``PENDING`` dict of tests/test_keras_names.py for the current checkout.

Run from the repository root after a merge, and paste the output over the dict:

    python tests/tools/pending_names.py
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402 (after KERAS_BACKEND is set)

from tests.test_keras_names import format_pending, missing_names  # noqa: E402

if __name__ == "__main__":
    print(format_pending(missing_names(keras)))
