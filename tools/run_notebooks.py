"""Execute the book's notebooks: refresh their committed outputs, or measure them.

    python tools/run_notebooks.py --inplace book/autodiff/gradient_tapes.ipynb
    python tools/run_notebooks.py --benchmark book/**/*.ipynb

`--inplace` runs each notebook top to bottom in a fresh kernel and writes it back with clean
metadata (standard kernelspec, no timings, no widget state). `--benchmark` runs each notebook in
a child process of its own and reports its wall time and the kernel's peak memory (resident set).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO_KEYS = ("name", "codemirror_mode", "file_extension", "mimetype", "pygments_lexer")
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled", "ExecuteTime")


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Keep only the metadata a reader needs; drop what changes with every run or machine."""
    language_info = nb.metadata.get("language_info", {})
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNELSPEC,
            "language_info": {k: v for k, v in language_info.items() if k in LANGUAGE_INFO_KEYS},
        }
    )
    for cell in nb.cells:
        for key in CELL_METADATA_DROPPED:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
        for output in cell.get("outputs", []):
            # Widget views point at model ids that only exist in the live kernel.
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            if output.get("output_type") == "execute_result" or output.get("data") is not None:
                output.setdefault("metadata", {})


def coalesce_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream: how they were chunked in time is noise."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    return nb


def measure_one(path: Path) -> dict:
    """Run in a child process: the kernel is our child, so RUSAGE_CHILDREN holds its peak."""
    start = time.perf_counter()
    execute(path)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"notebook": str(path), "seconds": round(seconds, 1), "peak_mib": round(peak_kib / 1024)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--inplace", action="store_true", help="execute and write back")
    mode.add_argument("--benchmark", action="store_true", help="report seconds and peak memory")
    mode.add_argument("--measure-one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)

    if args.measure_one:
        print(json.dumps(measure_one(args.notebooks[0])))
        return 0

    if args.inplace:
        for path in args.notebooks:
            start = time.perf_counter()
            nb = execute(path)
            clean_metadata(nb)
            nbformat.validate(nb)
            nbformat.write(nb, path)
            print(f"executed {path} in {time.perf_counter() - start:.1f} s", flush=True)
        return 0

    print(f"{'notebook':<52} {'seconds':>8} {'peak MiB':>9}")
    failed = False
    for path in args.notebooks:
        child = subprocess.run(
            [sys.executable, __file__, "--measure-one", str(path)],
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            failed = True
            print(f"{str(path):<52} FAILED\n{child.stderr[-2000:]}")
            continue
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{row['notebook']:<52} {row['seconds']:>8.1f} {row['peak_mib']:>9}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
