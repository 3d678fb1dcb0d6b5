"""Glue a computed value into the website's prose, and do nothing harmful anywhere else."""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record ``value`` under ``name`` so that the website's text can quote it.

    In Markdown, write ``{glue:text}`name``` where the value should appear. The website is built
    from the committed outputs, so the number a reader sees is the one the code produced. Where
    myst-nb is not installed (Colab, a bare Jupyter), this shows the value when ``display`` is
    true and otherwise does nothing.

    Example:
        >>> glue("answer", 42)  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(
            f"glue name must be a Python identifier such as 'test_accuracy', got {name!r}."
        )
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
