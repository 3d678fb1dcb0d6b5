#!/usr/bin/env bash
# Makes Fashion-MNIST available offline: Keras' cache, else Debian's dataset-fashion-mnist package.
# Where apt cannot be used, Keras downloads the files on first use instead (Binder, Colab, macOS).
set -euo pipefail
files=(train-labels-idx1-ubyte.gz train-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz)
complete() { for f in "${files[@]}"; do [ -f "$1/$f" ] || return 1; done; }

keras_cache="${KERAS_HOME:-$HOME/.keras}/datasets/fashion-mnist"
debian_dir=/usr/share/datasets/fashion-mnist
if complete "$keras_cache"; then
  echo "Fashion-MNIST: found in Keras' cache ($keras_cache)."
  exit 0
fi
if complete "$debian_dir"; then
  echo "Fashion-MNIST: found in $debian_dir (Debian's dataset-fashion-mnist)."
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
  if [ "$sudo" != none ]; then
    echo "Fashion-MNIST: not found; installing Debian's dataset-fashion-mnist package (30 MB) with apt-get."
    $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null; }
    complete "$debian_dir" && { echo "Fashion-MNIST: installed into $debian_dir."; exit 0; }
  fi
fi
echo "Fashion-MNIST: not found in $keras_cache or $debian_dir, and apt-get could not install it here."
echo "  Keras will download it on first use. Offline, install it with: sudo apt-get install dataset-fashion-mnist"
