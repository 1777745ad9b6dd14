"""``jl.utils.get_file``: download with cache and hash check, safe extraction.

Everything is served locally: ``file://`` URLs and an HTTP server the test
starts on 127.0.0.1 (no network needed).
"""

import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, DownloadError, FileHashError


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "www"``; ``.url(name)``, ``.requests``."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_Handler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.requests = []
    httpd.www = www
    httpd.url = lambda name: f"http://127.0.0.1:{httpd.server_address[1]}/{name}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _closed_port_url(name):
    # Port 1 on the loopback interface refuses connections: "no network" without a network.
    return f"http://127.0.0.1:1/{name}"


def _tar_gz(members):
    """A .tar.gz as bytes from ``{name: bytes}``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_get_file_downloads_once_then_uses_the_cache(server, tmp_path):
    data = b"0123456789" * 1000
    (server.www / "data.bin").write_bytes(data)
    cache = tmp_path / "cache"
    path = jl.utils.get_file("data.bin", server.url("data.bin"), file_hash=_sha256(data),
                             cache_dir=str(cache))
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == data
    again = jl.utils.get_file("data.bin", server.url("data.bin"), file_hash=_sha256(data),
                              cache_dir=str(cache))
    assert again == path and server.requests == ["/data.bin"]
    jl.utils.get_file("data.bin", server.url("data.bin"), cache_dir=str(cache),
                      force_download=True)
    assert server.requests == ["/data.bin", "/data.bin"]
    assert not [f for f in os.listdir(cache / "datasets") if f.endswith(".part")]


def test_get_file_name_defaults_to_the_url_and_honours_keras_home(server, tmp_path,
                                                                 monkeypatch):
    (server.www / "weights.h5").write_bytes(b"w")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = jl.utils.get_file(origin=server.url("weights.h5"), cache_subdir="models")
    assert path == str(tmp_path / "home" / "models" / "weights.h5")


def test_get_file_md5_is_detected_and_a_stale_cached_copy_is_replaced(server, tmp_path):
    data = b"fresh contents"
    (server.www / "f.txt").write_bytes(data)
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "f.txt").write_bytes(b"old contents")
    md5 = hashlib.md5(data).hexdigest()
    path = jl.utils.get_file("f.txt", server.url("f.txt"), file_hash=md5, cache_dir=str(cache))
    assert open(path, "rb").read() == data and server.requests == ["/f.txt"]
    # md5_hash (deprecated spelling) works the same way.
    assert jl.utils.get_file("f.txt", server.url("f.txt"), md5_hash=md5,
                             cache_dir=str(cache)) == path
    assert server.requests == ["/f.txt"]


def test_get_file_refuses_a_download_whose_hash_does_not_match(server, tmp_path):
    (server.www / "f.bin").write_bytes(b"tampered on the wire")
    cache = tmp_path / "cache"
    with pytest.raises(FileHashError, match=r"does not have the expected sha256 hash"):
        jl.utils.get_file("f.bin", server.url("f.bin"), file_hash=_sha256(b"genuine"),
                          cache_dir=str(cache))
    assert os.listdir(cache / "datasets") == []  # nothing left under the real name


def test_get_file_errors_name_the_url_and_the_cache_path(server, tmp_path):
    cache = tmp_path / "cache"
    target = str(cache / "datasets" / "missing.bin")
    with pytest.raises(DownloadError, match=r"HTTP 404") as info:
        jl.utils.get_file("missing.bin", server.url("missing.bin"), cache_dir=str(cache))
    assert server.url("missing.bin") in str(info.value) and target in str(info.value)
    with pytest.raises(DownloadError, match=r"could not download http://127.0.0.1:1/x.bin") as e:
        jl.utils.get_file("x.bin", _closed_port_url("x.bin"), cache_dir=str(cache))
    assert str(cache / "datasets" / "x.bin") in str(e.value)
    assert isinstance(e.value, OSError)


def test_get_file_file_url_and_argument_errors(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("hello")
    path = jl.utils.get_file("copy.txt", src.as_uri(), cache_dir=str(tmp_path / "c"))
    assert open(path).read() == "hello"
    with pytest.raises(ConfigError, match=r"pass `origin`"):
        jl.utils.get_file("a.txt")
    with pytest.raises(ConfigError, match=r"`fname` must be a plain file name"):
        jl.utils.get_file("sub/a.txt", src.as_uri(), cache_dir=str(tmp_path))
    with pytest.raises(ConfigError, match=r"cannot take a file name from origin"):
        jl.utils.get_file(origin="http://127.0.0.1:1/", cache_dir=str(tmp_path))
    with pytest.raises(ConfigError, match=r"`hash_algorithm` must be"):
        jl.utils.get_file("a.txt", src.as_uri(), hash_algorithm="sha1", cache_dir=str(tmp_path))


def test_get_file_extracts_tar_and_zip_with_keras_names(server, tmp_path):
    (server.www / "pack.tar.gz").write_bytes(_tar_gz({"pack/a.txt": b"A", "pack/d/b.txt": b"B"}))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("z/c.txt", "C")
    (server.www / "pack.zip").write_bytes(zbuf.getvalue())
    cache = str(tmp_path / "cache")
    # A name with a dot: the archive keeps it, files go to <stem>_extracted.
    out = jl.utils.get_file("pack.tar.gz", server.url("pack.tar.gz"), extract=True,
                            cache_dir=cache)
    assert out == os.path.join(cache, "datasets", "pack_extracted")
    assert open(os.path.join(out, "pack", "d", "b.txt")).read() == "B"
    assert os.path.isfile(os.path.join(cache, "datasets", "pack.tar.gz"))
    # No name: the archive is <name>_archive, the folder is named after the URL.
    out = jl.utils.get_file(origin=server.url("pack.zip"), extract=True, cache_dir=cache)
    assert out == os.path.join(cache, "datasets", "pack.zip")
    assert open(os.path.join(out, "z", "c.txt")).read() == "C"
    # untar=True is the deprecated spelling of a tar extraction.
    out = jl.utils.get_file("pk", server.url("pack.tar.gz"), untar=True, cache_dir=cache)
    assert sorted(os.listdir(out)) == ["pack"]


def _hostile_tar(path):
    with tarfile.open(path, "w:gz") as tar:
        def add(name, data=b"x", **fields):
            info = tarfile.TarInfo(name)
            for key, value in fields.items():
                setattr(info, key, value)
            if info.type == tarfile.REGTYPE:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
        add("good.txt", b"ok")
        add("../escape.txt")
        add("/abs.txt")
        add("link_out", type=tarfile.SYMTYPE, linkname="../../outside")
        add("abs_link", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add("hard_out", type=tarfile.LNKTYPE, linkname="../escape.txt")
        add("dev", type=tarfile.CHRTYPE)
        add("link_in", type=tarfile.SYMTYPE, linkname="good.txt")


def test_extraction_skips_members_that_leave_the_folder(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    _hostile_tar(archive)
    with pytest.warns(UserWarning, match=r"skipping archive member") as record:
        out = jl.utils.get_file("evil.tar.gz", archive.as_uri(), extract=True,
                                cache_dir=str(tmp_path / "c"))
    skipped = sorted(str(w.message).split("'")[1] for w in record)
    assert skipped == ["../escape.txt", "/abs.txt", "abs_link", "dev", "hard_out", "link_out"]
    assert sorted(os.listdir(out)) == ["good.txt", "link_in"]
    assert open(os.path.join(out, "link_in")).read() == "ok"
    assert not (tmp_path / "c" / "datasets" / "escape.txt").exists()
    assert not (tmp_path / "escape.txt").exists()


def test_extraction_skips_zip_members_with_parent_paths(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fine.txt", "f")
        z.writestr("../../up.txt", "u")
    with pytest.warns(UserWarning, match=r"'../../up.txt'"):
        out = jl.utils.get_file("evil.zip", archive.as_uri(), extract=True,
                                cache_dir=str(tmp_path / "c"))
    assert os.listdir(out) == ["fine.txt"]
