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


def _empty(figure: Figure, axes, title: str, message: str) -> Figure:
    # Axes with no data get matplotlib's default -0.04..0.04 ticks, which read
    # as nonsense; say plainly that there is nothing to draw instead.
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])
    figure.tight_layout()
    return figure


def plot_balance(balance: pd.DataFrame) -> Figure:
    """Draw the balance after each posting as a step line."""
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    if balance.empty:
        return _empty(figure, axes, "Balance over time", "No postings in this window")
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
    if spenders.empty:
        return _empty(figure, axes, "Biggest spenders", "Nothing spent yet")
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


def plot_balance_summary(summary: pd.DataFrame, bucket: str = "day") -> Figure:
    """Draw the balance's range per bucket as a band, with its last value as a line."""
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    axes.fill_between(
        summary["time"],
        summary["min"],
        summary["max"],
        step="post",
        color="#dc382c",
        alpha=0.25,
        label=f"lowest to highest in the {bucket}",
    )
    axes.step(
        summary["time"],
        summary["last"],
        where="post",
        color="#dc382c",
        label=f"at the end of the {bucket}",
    )
    axes.set_title(f"Balance per {bucket}")
    axes.set_xlabel("Time (UTC)")
    axes.set_ylabel("Balance")
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.legend(loc="best")
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def plot_spending_by_month(spending: pd.DataFrame) -> Figure:
    """Draw each month's spending as a bar stacked by transaction type."""
    table = spending.pivot_table(
        index="month", columns="transaction_type", values="spent", aggfunc="sum"
    ).fillna(0)
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    bottom = None
    for transaction_type in table.columns:
        values = table[transaction_type]
        axes.bar(table.index, values, bottom=bottom, label=transaction_type)
        bottom = values if bottom is None else bottom + values
    axes.set_title("Spending by month and type")
    axes.set_xlabel("Month (UTC)")
    axes.set_ylabel("Spent")
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def save_figure(figure: Figure, name: str, folder: Path | None = None) -> Path:
    """Save figure as `<name>.png` in the figures folder; return its path."""
    folder = folder or config.build_dir() / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    figure.savefig(path, dpi=120)
    return path
