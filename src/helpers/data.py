"""Data for the book, offline first: Fashion-MNIST and scikit-image's bundled photographs."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import numpy as np

FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
#: Where Debian's (and Ubuntu's) ``dataset-fashion-mnist`` package installs the files.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: The ten classes of Fashion-MNIST, in label order.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

FashionMNIST = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places the book looks, and could not be downloaded."""


def keras_cache_dir() -> Path:
    """The directory where Keras keeps Fashion-MNIST: ``$KERAS_HOME/datasets/fashion-mnist``.

    Keras falls back to ``/tmp/.keras`` when its home is not writable; so does this function.
    """
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    if not os.access(home if home.exists() else home.parent, os.W_OK):
        home = Path("/tmp/.keras")
    return home / "datasets" / "fashion-mnist"


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in FASHION_MNIST_FILES)


def _keras_load() -> FashionMNIST:
    import keras

    return keras.datasets.fashion_mnist.load_data()


def _fix_command() -> str:
    if shutil.which("apt-get"):
        return "sudo apt-get install dataset-fashion-mnist"
    return (
        'python -c "import keras; keras.datasets.fashion_mnist.load_data()"'
        "  (on a machine with internet access)"
    )


def load_fashion_mnist(
    *,
    debian_dir: str | os.PathLike = DEBIAN_FASHION_MNIST_DIR,
    download: bool = True,
) -> FashionMNIST:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays.

    The files are looked for, in order, in

    1. Keras' cache (``~/.keras/datasets/fashion-mnist``, or ``$KERAS_HOME``),
    2. the directory of Debian's ``dataset-fashion-mnist`` package
       (``/usr/share/datasets/fashion-mnist``), whose files are copied into Keras' cache,
    3. the internet, through Keras' own downloader (skipped when ``download=False``).

    In every case Keras' own ``keras.datasets.fashion_mnist.load_data()`` reads the files, so
    the arrays are exactly the ones the TensorFlow tutorials use: 60,000 training and 10,000
    test images of 28×28 pixels, labels 0–9 (see :data:`FASHION_MNIST_CLASSES`).

    Raises:
        DataNotFoundError: when every source fails; the message lists each place it looked and
            the one command that fixes it.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
        >>> x_train.shape, x_train.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}.")
    cache = keras_cache_dir()
    debian = Path(debian_dir)
    looked = [f"Keras' cache: {cache}"]

    if _complete(cache):
        return _keras_load()

    looked.append(f"Debian's dataset-fashion-mnist package: {debian}")
    if _complete(debian):
        import keras

        for name in FASHION_MNIST_FILES:
            # Keras' get_file "downloads" from a file:// address, which puts the Debian files in
            # its cache; its loader then finds them there. Its progress bar is silenced so that
            # a first run prints the same as every later one.
            with contextlib.redirect_stdout(io.StringIO()):
                keras.utils.get_file(
                    name,
                    origin=debian.resolve().as_uri() + "/" + name,
                    cache_subdir=os.path.join("datasets", "fashion-mnist"),
                )
        return _keras_load()

    if download:
        looked.append("the internet, through keras.datasets.fashion_mnist.load_data()")
        try:
            return _keras_load()
        except Exception as error:  # any network or file failure ends in the same advice
            reason = f"{type(error).__name__}: {error}"
    else:
        looked.append("the internet: not tried (download=False)")
        reason = "downloading was turned off"

    places = "\n".join(f"  {i}. {place}" for i, place in enumerate(looked, start=1))
    raise DataNotFoundError(
        "Fashion-MNIST was not found. Looked in:\n"
        f"{places}\n"
        f"The last attempt failed with: {reason}\n"
        f"Fix: {_fix_command()}"
    )


def sample_image(name: str = "astronaut") -> np.ndarray:
    """One of scikit-image's bundled photographs, as a NumPy array (no download).

    ``name`` is one of :data:`SAMPLE_IMAGES`, e.g. ``"astronaut"`` (512×512 RGB),
    ``"camera"`` (512×512 grayscale) or ``"coffee"`` (400×600 RGB). Values are uint8.

    Example:
        >>> sample_image("camera").shape
        (512, 512)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'camera', got {name!r}.")
    if name not in SAMPLE_IMAGES:
        raise ValueError(
            f"Unknown sample image {name!r}. Choose one of: {', '.join(SAMPLE_IMAGES)}."
        )
    import skimage.data

    return np.asarray(getattr(skimage.data, name)())


#: Photographs shipped inside scikit-image itself, so they load offline.
SAMPLE_IMAGES = (
    "astronaut",
    "camera",
    "cat",
    "chelsea",
    "coffee",
    "coins",
    "horse",
    "moon",
    "page",
    "rocket",
)
