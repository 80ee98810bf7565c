"""Charts of the ledger, and the one helper that saves them.

Figures are made with matplotlib's object API rather than pyplot, so a notebook
shows each one once (as the cell's result) and nothing is kept alive in
pyplot's global list of figures.
"""

import io
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from redisbank import config


def plot_balance(balance: pd.DataFrame) -> Figure:
    """Draw the balance after each posting as a step line."""
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    axes.step(balance["time"], balance["balance"], where="post", color="#dc382c")
    axes.set_title("Balance over time")
    axes.set_xlabel("Time (UTC)")
    axes.set_ylabel("Balance")
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def plot_biggest_spenders(spenders: pd.DataFrame) -> Figure:
    """Draw the vendors by money spent, largest at the top."""
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    ordered = spenders.iloc[::-1]
    axes.barh(ordered["vendor"], ordered["spent"], color="#dc382c")
    axes.set_title("Biggest spenders")
    axes.set_xlabel("Spent")
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def render_png(figure: Figure) -> bytes:
    """Return figure as PNG bytes, for serving over HTTP."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def save_figure(figure: Figure, name: str, folder: Path | None = None) -> Path:
    """Save figure as `<name>.png` in the figures folder; return its path."""
    folder = folder or config.build_dir() / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    figure.savefig(path, dpi=120)
    return path
