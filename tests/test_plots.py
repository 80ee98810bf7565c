from redisbank import ledger, plots, queries
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
