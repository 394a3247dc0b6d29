import pathlib

from rs3l_keras.zoo import zoo_table

README = pathlib.Path(__file__).parents[1] / "README.md"


def test_quick_start_is_the_two_commands():
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick and "make test" in quick


def test_zoo_table_matches_the_registry():
    text = README.read_text()
    start = text.index(zoo_table.ZOO_TABLE_START) + len(zoo_table.ZOO_TABLE_START)
    end = text.index(zoo_table.ZOO_TABLE_END)
    assert text[start:end].strip() == zoo_table.zoo_table(), (
        "README zoo table is stale: run `python -m rs3l_keras.zoo.zoo_table README.md`"
    )
