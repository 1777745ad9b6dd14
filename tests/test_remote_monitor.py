"""RemoteMonitor posts each epoch's logs to a real HTTP server (a local one in a thread)."""

import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

import jaxlayers as jl


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _fit(monitor):
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    y = x.sum(axis=1, keepdims=True)
    return model.fit(x, y, epochs=2, batch_size=2, verbose=0, validation_data=(x, y),
                     callbacks=[monitor]).history


def _expected(history):
    return [{"epoch": epoch, **{k: v[epoch] for k, v in history.items()}}
            for epoch in range(len(history["loss"]))]


def test_form_and_json_bodies_equal_the_epoch_logs(server):
    root = f"http://127.0.0.1:{server.server_port}"
    form = jl.callbacks.RemoteMonitor(root=root, path="/epoch/", field="payload",
                                      headers={"X-Run": "r1"})
    history = _fit(form)
    assert len(server.received) == 2
    for (path, headers, body), expected in zip(server.received, _expected(history)):
        assert path == "/epoch/"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert headers["X-Run"] == "r1"
        fields = urllib.parse.parse_qs(body.decode())
        assert list(fields) == ["payload"]
        assert json.loads(fields["payload"][0]) == expected
    assert set(expected) == {"epoch", "loss", "mae", "val_loss", "val_mae"}

    # The same logs sent as a JSON body (no fit: the hook is what fit calls).
    server.received.clear()
    as_json = jl.callbacks.RemoteMonitor(root=root, send_as_json=True)
    logs = {"loss": np.float32(0.25), "acc": np.array(0.5), "lr": 0.1}
    as_json.on_epoch_end(3, logs)
    (path, headers, body), = server.received
    assert path == "/publish/epoch/end/"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"epoch": 3, "loss": 0.25, "acc": 0.5, "lr": 0.1}


def test_an_unreachable_server_warns_and_training_goes_on(server):
    port = server.server_port
    server.shutdown()
    server.server_close()
    monitor = jl.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}")
    with pytest.warns(UserWarning, match="RemoteMonitor: could not reach the server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


def test_headers_must_be_a_dict():
    with pytest.raises(TypeError, match=r"RemoteMonitor: `headers` must be a dict"):
        jl.callbacks.RemoteMonitor(headers=["X-Run: 1"])


@pytest.mark.parametrize("arg", ["root", "path", "field"])
def test_address_parts_must_be_strings(arg):
    with pytest.raises(TypeError, match=rf"RemoteMonitor: `{arg}` must be a str\. "
                       rf"Received: {arg}=3\."):
        jl.callbacks.RemoteMonitor(**{arg: 3})
    with pytest.raises(jl.errors.ConfigTypeError, match="`send_as_json` must be a bool"):
        jl.callbacks.RemoteMonitor(send_as_json="yes")
