"""The notebook tooling: metadata cleaning and nbval's sanitizer mask only what varies."""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import run_notebooks  # noqa: E402


def sanitize(text: str) -> str:
    config = configparser.ConfigParser()
    config.read(ROOT / "tools" / "nbval-sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def test_tensorflow_start_up_lines_vanish_and_the_rest_stays():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796415779.665482    6896 port.cc:153] oneDNN custom operations are on.\n"
        "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.\n"
    )
    assert sanitize(text) == (
        "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.\n"
    )


def test_addresses_paths_and_timings_are_masked():
    assert sanitize("<Model at 0x7f3a2c1b5e90>") == "<Model at 0xADDRESS>"
    path = "/x/.venv/lib/python3.11/site-packages/keras/a.py"
    assert sanitize(path) == "SITE-PACKAGES/keras/a.py"
    log = "469/469 - 3s - 6ms/step - loss: 0.3"
    assert sanitize(log) == "469/469 - TIME - TIME/STEP - loss: 0.3"
    # Numbers that are results, not timings, are compared as they are.
    assert sanitize("accuracy 0.9123, 40 x 40 x 32") == "accuracy 0.9123, 40 x 40 x 32"


def test_clean_metadata_keeps_what_a_reader_needs():
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "tf-env", "display_name": "my env", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7", "pygments_lexer": "ipython3"},
        "widgets": {"state": {}},
    }
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.metadata = {"execution": {"iopub.status.busy": "2026"}, "tags": ["hide-input"]}
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "slider", "application/vnd.jupyter.widget-view+json": {"id": 1}},
        )
    ]
    nb.cells = [cell]
    run_notebooks.clean_metadata(nb)
    assert nb.metadata == {
        "kernelspec": run_notebooks.KERNELSPEC,
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    assert nb.cells[0].metadata == {"tags": ["hide-input"]}
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "slider"}


def test_consecutive_prints_to_one_stream_are_joined():
    out = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="c\n"),
        nbformat.v4.new_output("stream", name="stdout", text="d\n"),
    ]
    joined = run_notebooks.coalesce_streams(out)
    assert [(o["name"], o["text"]) for o in joined] == [
        ("stdout", "a\nb\n"),
        ("stderr", "c\n"),
        ("stdout", "d\n"),
    ]
