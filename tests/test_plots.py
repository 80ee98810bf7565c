from redisbank import analytics, ledger, plots, queries
from tests.helpers import transaction


def test_charts_are_saved_as_png(r, tmp_path):
    ledger.prepare(r)
    list(ledger.post_many(r, [transaction("A", -100, 0), transaction("B", -250, 1)]))

    balance = plots.plot_balance(queries.balance_over_time(r))
    spenders = plots.plot_biggest_spenders(queries.biggest_spenders(r))
    for figure, name in ((balance, "balance"), (spenders, "spenders")):
        path = plots.save_figure(figure, name, tmp_path)
        assert path == tmp_path / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5_000

    labels = [tick.get_text() for tick in spenders.axes[0].get_yticklabels()]
    assert labels == ["A", "B"]  # largest (B) drawn at the top
    assert balance.axes[0].get_title() == "Balance over time"


def test_the_analytics_charts_are_labelled_and_saved(r, tmp_path):
    ledger.prepare(r)
    rows = [
        transaction("A", -100, 0, transaction_type="Contactless"),
        transaction("B", -250, 60 * 24 * 40, transaction_type="Debit card"),
        transaction("C", -75, 60 * 24 * 41, transaction_type="Contactless"),
    ]
    list(ledger.post_many(r, rows))

    summary = plots.plot_balance_summary(analytics.balance_summary(r, "1d"))
    spending = analytics.spending_by_type_and_month(r)
    by_month = plots.plot_spending_by_month(spending)
    assert summary.axes[0].get_title() == "Balance per day"
    assert [t.get_text() for t in summary.axes[0].get_legend().get_texts()] == [
        "lowest to highest in the day",
        "at the end of the day",
    ]
    assert by_month.axes[0].get_title() == "Spending by month and type"
    # One bar per month for each type: Contactless, then Debit card on top.
    heights = [round(bar.get_height(), 2) for bar in by_month.axes[0].patches]
    assert heights == [1.0, 0.75, 0.0, 2.5]
    for figure, name in ((summary, "summary"), (by_month, "by_month")):
        assert plots.save_figure(figure, name, tmp_path).stat().st_size > 5_000


def test_empty_charts_say_so_instead_of_drawing_nonsense_axes(r, tmp_path):
    ledger.prepare(r)
    balance = plots.plot_balance(queries.balance_over_time(r))
    spenders = plots.plot_biggest_spenders(queries.biggest_spenders(r))
    for figure, message in ((balance, "No postings"), (spenders, "Nothing spent")):
        (axes,) = figure.axes
        assert [t.get_text() for t in axes.texts][0].startswith(message)
        assert list(axes.get_xticks()) == []
        assert plots.save_figure(figure, message[:2], tmp_path).stat().st_size > 1000
