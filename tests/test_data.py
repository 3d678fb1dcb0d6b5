"""load_fashion_mnist() finds its data offline, and says exactly what to do when it cannot."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import helpers
from helpers import data

LOAD_AND_DESCRIBE = """
import json, helpers
(x, y), (xt, yt) = helpers.load_fashion_mnist(debian_dir={debian!r}, download=False)
print(json.dumps({{"shapes": [x.shape, y.shape, xt.shape, yt.shape],
                  "dtypes": [str(a.dtype) for a in (x, y, xt, yt)],
                  "first_labels": [int(v) for v in y[:5]], "pixel_sum": int(x[0].sum())}}))
"""


def run_loader(keras_home: Path, debian: Path) -> dict:
    # A fresh interpreter, because Keras reads KERAS_HOME once, when it is imported.
    env = dict(os.environ, KERAS_HOME=str(keras_home))
    code = LOAD_AND_DESCRIBE.format(debian=str(debian))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_idx(directory: Path, n_train: int = 6, n_test: int = 4) -> None:
    """A tiny Fashion-MNIST look-alike in the IDX format, to exercise the Debian code path."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        label_header = np.array([2049, n], dtype=">i4").tobytes()
        image_header = np.array([2051, n, 28, 28], dtype=">i4").tobytes()
        with gzip.open(directory / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(label_header + labels.tobytes())
        with gzip.open(directory / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(image_header + images.tobytes())


def test_debian_directory_is_copied_into_an_empty_keras_cache(tmp_path):
    debian = tmp_path / "debian" / "fashion-mnist"
    write_idx(debian)
    result = run_loader(tmp_path / "keras-home", debian)
    assert result["shapes"] == [[6, 28, 28], [6], [4, 28, 28], [4]]
    assert result["dtypes"] == ["uint8"] * 4
    assert result["first_labels"] == [0, 1, 2, 3, 4]
    copied = tmp_path / "keras-home" / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in copied.iterdir()) == sorted(data.FASHION_MNIST_FILES)


@pytest.mark.skipif(
    not data.DEBIAN_FASHION_MNIST_DIR.is_dir(),
    reason="Debian's dataset-fashion-mnist is absent (make setup installs it where apt works)",
)
def test_real_debian_package_gives_the_full_data_set(tmp_path):
    result = run_loader(tmp_path / "keras-home", data.DEBIAN_FASHION_MNIST_DIR)
    assert result["shapes"] == [[60000, 28, 28], [60000], [10000, 28, 28], [10000]]
    assert result["dtypes"] == ["uint8"] * 4
    # The first five training labels of Fashion-MNIST: ankle boot, T-shirt, T-shirt, dress, T-shirt.
    assert result["first_labels"] == [9, 0, 0, 3, 0]


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """Every source missing: an empty Keras home, no Debian directory, a network that fails."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))

    def offline():
        raise Exception("URL fetch failure: [Errno 101] Network is unreachable")

    monkeypatch.setattr(data, "_keras_load", offline)
    monkeypatch.setattr(data.shutil, "which", lambda name: "/usr/bin/apt-get")
    return tmp_path


def test_every_source_missing_names_each_place_and_the_fix(nowhere):
    missing = nowhere / "no-such-dir"
    with pytest.raises(helpers.DataNotFoundError) as caught:
        helpers.load_fashion_mnist(debian_dir=missing)
    message = str(caught.value)
    assert message == (
        "Fashion-MNIST was not found. Looked in:\n"
        f"  1. Keras' cache: {nowhere / 'empty-keras-home' / 'datasets' / 'fashion-mnist'}\n"
        f"  2. Debian's dataset-fashion-mnist package: {missing}\n"
        "  3. the internet, through keras.datasets.fashion_mnist.load_data()\n"
        "The last attempt failed with: Exception: URL fetch failure: [Errno 101] Network is"
        " unreachable\n"
        "Fix: sudo apt-get install dataset-fashion-mnist"
    )
    assert isinstance(caught.value, FileNotFoundError)


def test_without_apt_the_fix_is_the_keras_download(nowhere, monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda name: None)
    with pytest.raises(helpers.DataNotFoundError, match="the internet: not tried") as caught:
        helpers.load_fashion_mnist(debian_dir=nowhere / "none", download=False)
    assert str(caught.value).endswith(
        'Fix: python -c "import keras; keras.datasets.fashion_mnist.load_data()"'
        "  (on a machine with internet access)"
    )


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="download must be True or False, got 'yes'"):
        helpers.load_fashion_mnist(download="yes")


def test_sample_image_comes_from_scikit_image_offline():
    camera = helpers.sample_image("camera")
    assert camera.shape == (512, 512) and camera.dtype == np.uint8
    assert helpers.sample_image("astronaut").shape == (512, 512, 3)
    with pytest.raises(ValueError, match="Unknown sample image 'lena'. Choose one of: astronaut"):
        helpers.sample_image("lena")
    with pytest.raises(TypeError, match="name must be a string"):
        helpers.sample_image(3)


def test_every_listed_sample_image_loads():
    for name in helpers.SAMPLE_IMAGES:
        assert helpers.sample_image(name).ndim in (2, 3), name
