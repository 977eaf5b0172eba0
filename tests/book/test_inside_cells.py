"""rnnlab.book.inside_cells and lm_figures: the properties of a Python text, the
correlation method, the LSTM read with rnnlab, and the passage's layout."""

import numpy as np
import pytest

from rnnlab.book import inside_cells, lm_figures

# Three lines: a string holding "(", a comment holding "(", real brackets, an indent.
SNIPPET = "s = \"a(b\"  # x(\nif (x[0]):\n    y = 'q'\n"


def test_properties_of_a_snippet_by_hand():
    p = inside_cells.properties(SNIPPET)
    line1, line2, line3 = 16, 11, 12  # characters of each line, its "\n" included
    assert len(SNIPPET) == line1 + line2 + line3
    string = [0] * 4 + [1] * 5 + [0] * 7 + [0] * line2 + [0] * 8 + [1] * 3 + [0]
    depth = [0] * line1 + [0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 0] + [0] * line3
    column = [*range(line1), *range(line2), *range(line3)]
    indent = [0] * (line1 + line2) + [1, 2, 3, 4] + [4] * 8
    np.testing.assert_array_equal(p["in_string"], string)
    np.testing.assert_array_equal(p["bracket_depth"], depth)
    np.testing.assert_array_equal(p["column"], column)
    np.testing.assert_array_equal(p["indentation"], indent)


@pytest.mark.parametrize(
    ("text", "string", "depth"),
    [
        ('d = """a\n\'(\n"""(', [0] * 4 + [1] * 11 + [0], [0] * 15 + [1]),  # triple quotes
        ("'a\\'b' (", [1] * 6 + [0, 0], [0] * 7 + [1]),  # an escaped quote stays inside
        ('x = "ab\ny(', [0] * 4 + [1] * 3 + [0] * 3, [0] * 9 + [1]),  # a "..." ends at "\n"
        ("# it's (\n(", [0] * 10, [0] * 9 + [1]),  # a quote in a comment opens nothing
    ],
)
def test_strings_escapes_and_comments(text, string, depth):
    np.testing.assert_array_equal(inside_cells.in_string(text), string)
    np.testing.assert_array_equal(inside_cells.bracket_depth(text), depth)


def test_correlation_is_pearsons_and_finds_a_planted_unit():
    rng = np.random.default_rng(0)
    prop = rng.normal(size=500)
    values = rng.normal(size=(500, 10))
    values[:, 7] = -3 * prop + 0.1 * rng.normal(size=500)  # unit 7 tracks the property
    values[:, 2] = 5.0  # a constant unit
    r = inside_cells.correlations(values, prop)
    for unit in (0, 7, 9):
        assert r[unit] == pytest.approx(np.corrcoef(values[:, unit], prop)[0, 1], abs=1e-12)
    assert r[2] == 0.0
    unit, best = inside_cells.best_unit(values, prop)
    assert unit == 7 and best < -0.99  # the sign is kept, the choice is by |r|


@pytest.mark.torch
def test_lstm_states_read_with_rnnlab_match_torch():
    torch = pytest.importorskip("torch")
    from rnnlab.book import char_lm

    torch.manual_seed(0)
    net = char_lm.model("LSTM", len(char_lm.text().chars), 6)
    ids = char_lm.text().held_out[:30]
    states = inside_cells.lstm_states(net, ids)
    with torch.no_grad():
        xs = torch.nn.functional.one_hot(torch.from_numpy(ids[:, None]), net.V).float()
        hs, (h_n, c_n) = net.recurrent(xs)
    np.testing.assert_allclose(states["h"], hs[:, 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(states["c"][-1], c_n[0, 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(states["h"], states["o"] * np.tanh(states["c"]), atol=1e-12)
    assert states["f"].shape == (30, 6) and ((states["f"] > 0) & (states["f"] < 1)).all()


def test_the_passage_grid_puts_each_value_under_its_character():
    grid = lm_figures.grid("ab\nc", np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(grid, [[1, 2, 3], [4, np.nan, np.nan]])


@pytest.mark.slow
@pytest.mark.torch
def test_the_chapters_findings_are_the_argmax_of_the_correlations_and_match_the_prose():
    from rnnlab.book import lm_numbers

    found = inside_cells.findings()
    c = found.states["c"]
    assert len(found.text) == c.shape[0]
    for name, prop in found.properties.items():
        r = [np.corrcoef(c[:, unit], prop)[0, 1] for unit in range(c.shape[1])]
        unit = int(np.nanargmax(np.abs(r)))
        assert found.best[name][0] == unit
        assert found.best[name][1] == pytest.approx(r[unit], abs=1e-9)
    numbers = lm_numbers.cells()
    for name, (unit, r) in found.best.items():
        assert numbers[f"lstm_cells_{name}_unit"] == unit
        assert numbers[f"lstm_cells_{name}_r"] == r
    # chapter 2 says: position in the line is tracked best, strings worst, none closely
    strength = {name: abs(r) for name, (_, r) in found.best.items()}
    assert max(strength, key=strength.get) == "column"
    assert min(strength, key=strength.get) == "in_string"
    assert max(strength.values()) < 0.8 and strength["in_string"] < 0.5
    assert "lines = []" in found.text[found.passage()]
    assert found.text[found.passage()].count("\n") == inside_cells.PASSAGE_LINES - 1
