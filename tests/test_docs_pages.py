"""Every ```python block of README.md and docs/*.md runs as written.

A page's blocks run top to bottom in one namespace, as one script would: a
name a block uses must be defined by an earlier block of the same page.
Blocks that are deliberately partial use another fence (```text).
"""

import linecache
import os
import re

import pytest

import jaxlayers as jl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _pages():
    pages = ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs"))
        if f.endswith(".md"))
    return [p for p in pages if _blocks(p)]


def _blocks(page):
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        return _BLOCK.findall(f.read())


@pytest.mark.parametrize("page", _pages())
def test_page_runs_top_to_bottom(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pages that save files write them here
    jl.clear_session(free_memory=False)
    namespace = {"__name__": f"docs_{os.path.basename(page)[:-3]}"}
    try:
        for i, block in enumerate(_blocks(page)):
            filename = f"<{page} block {i + 1}>"
            # Registered as IPython registers cells, so that inspect.getsource
            # (a Lambda's saved source) sees the block's text.
            linecache.cache[filename] = (len(block), None, block.splitlines(True), filename)
            code = compile(block, filename, "exec")
            exec(code, namespace)  # noqa: S102 - the page is the test's input
    finally:
        # A page may set global policies (a distribution, a dtype policy): the
        # other tests in this process must not inherit them.
        jl.distribution.set_distribution(None)
        jl.config.set_dtype_policy(None)


def test_the_pages_have_blocks():
    assert len(_pages()) >= 2
