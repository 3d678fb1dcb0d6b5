"""The notebooks' form: what nbval cannot see but a reader and CI rely on.

nbval (``make notebooks-test``) re-executes each notebook and compares outputs; these tests check
that what it compares is worth comparing, and that the notebooks run anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
# Sections live in a chapter's folder; the home page and a chapter's opening page (index) have no
# exercises.
SECTIONS = [p for p in NOTEBOOKS if p.parent != ROOT / "book" and p.stem != "index"]
# Share of code cells whose output nbval compares strictly, per chapter (from the issues).
MIN_COMPARED = {"autodiff": 0.8, "cnn": 0.7, "keras": 0.8}
IGNORE = "NBVAL_IGNORE_OUTPUT"
SKIP = "NBVAL_SKIP"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def is_compared(cell: dict) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    first_line = source(cell).lstrip().splitlines()[0]
    return not (
        IGNORE in first_line
        or SKIP in first_line
        or {"nbval-ignore-output", "nbval-skip", "raises-exception"} & tags
    )


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return found


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


def test_every_notebook_is_a_page_and_every_page_exists():
    pages = toc_files()
    for path in NOTEBOOKS:
        assert str(path.relative_to(ROOT).with_suffix("")) in pages, f"{path} is not in _toc.yml"
    for page in pages:
        candidates = [ROOT / f"{page}{ext}" for ext in (".ipynb", ".md")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {page}, which does not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_executed_top_to_bottom_without_errors(path):
    cells = code_cells(load(path))
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"execution counts {counts}: re-execute with `make notebooks NB={path.relative_to(ROOT)}`"
    )
    for i, cell in enumerate(cells):
        assert not any(o["output_type"] == "error" for o in cell["outputs"]), f"cell {i} errors"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_metadata_is_clean(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, "stray notebook metadata"
    for cell in nb["cells"]:
        assert "execution" not in cell.get("metadata", {}), "timing metadata: run make notebooks"
        for output in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_is_the_setup_cell(path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    setup = source(code_cells(load(path))[0])
    assert "helpers.setup_notebook(" in setup
    # The Colab install line must point at the same repository as the launch buttons.
    assert f"git+{url}" in setup, f"setup cell must install from {url} (repository.url)"
    installs = [line for line in setup.splitlines() if "pip install" in line]
    assert installs and not any("tensorflow" in line.lower() for line in installs), (
        "the setup cell installs helpers only, never TensorFlow"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_enough_cells_are_compared_and_ignored_ones_are_backed_by_asserts(path):
    cells = code_cells(load(path))
    chapter = path.relative_to(ROOT / "book").parts[0]
    compared = [is_compared(c) for c in cells]
    share = sum(compared) / len(cells)
    assert share >= MIN_COMPARED.get(chapter, 0.8), f"only {share:.0%} of code cells compared"
    for i in range(len(cells)):
        if not compared[i]:
            later = [
                source(c) for c, ok in zip(cells[i + 1 :], compared[i + 1 :], strict=True) if ok
            ]
            assert any("assert" in s for s in later), (
                f"cell {i} ignores its output, and no later compared cell asserts anything"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_have_alt_text(path):
    for i, cell in enumerate(code_cells(load(path))):
        if any("image/png" in o.get("data", {}) for o in cell["outputs"]):
            mystnb = cell.get("metadata", {}).get("mystnb", {})
            alt = mystnb.get("image", {}).get("alt") or mystnb.get("figure", {}).get("caption")
            assert alt, f"cell {i} draws a figure without alt text or caption (mystnb metadata)"


@pytest.mark.parametrize("path", SECTIONS, ids=[str(p.relative_to(ROOT)) for p in SECTIONS])
def test_ends_with_exercises_whose_solutions_are_hidden_and_checked(path):
    nb = load(path)
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert re.search(r"^#+ Exercises", markdown, re.MULTILINE), "no Exercises section"
    solutions = [
        c for c in code_cells(nb) if "hide-cell" in c.get("metadata", {}).get("tags", [])
    ]
    assert solutions, "no solution cell tagged hide-cell"
    assert all("assert" in source(c) for c in solutions), "a solution checks nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_personal_paths_or_downloads(path):
    text = path.read_text(encoding="utf-8")
    for pattern in (r"/home/\w+", r"/root/", r"/work/", r"[A-Z]:\\\\Users", r"\.download\("):
        assert not re.search(pattern, text), f"{path.name} contains {pattern}"
