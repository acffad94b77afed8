"""Real-world files shipped by PyPI packages, imported as a user would; the expected types were read by hand.

penguins.csv: measurements with one decimal, integer grams and years, "NA"
for missing values. penguins-raw.csv: headers with spaces and parentheses,
Yes/No, ISO dates, isotope ratios with up to 16 decimals. seattle-weather.csv:
dates written 2012/01/01. cars.json: an array of objects with nulls and ISO
dates as strings. airports.csv: IATA codes with leading zeros (``00M``) must stay
text. stocks.csv: dates like "Jan 1 2000" are not ISO, so stay text.
"""

from __future__ import annotations

from pathlib import Path

from tests.imports.conftest import Berth


async def test_penguins(berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["penguins"])
    assert done["state"] == "done" and done["rows_done"] == 344
    assert await berth.columns("penguins") == {
        "species": "text", "island": "text",
        "bill_length_mm": "numeric(3,1)", "bill_depth_mm": "numeric(3,1)",
        "flipper_length_mm": "smallint", "body_mass_g": "smallint", "sex": "text", "year": "smallint"}
    nulls = await berth.sql("SELECT count(*) FILTER (WHERE sex IS NULL), "
                            "count(*) FILTER (WHERE bill_length_mm IS NULL) FROM penguins")
    assert tuple(nulls[0]) == (11, 2)
    first = await berth.sql("SELECT species, bill_length_mm::text, year FROM penguins LIMIT 1")
    assert tuple(first[0]) == ("Adelie", "39.1", 2007)


async def test_penguins_raw_headers_become_safe_names_with_the_original_as_comment(
        berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["penguins_raw"], table="Penguins Raw")
    assert done["state"] == "done" and done["rows_done"] == 344
    columns = await berth.columns("penguins_raw")
    assert columns["studyname"] == "text"
    assert columns["sample_number"] == "smallint"
    assert columns["clutch_completion"] == "boolean"
    assert columns["date_egg"] == "date"
    assert columns["culmen_length_mm"] == "numeric(3,1)"
    assert columns["delta_15_n_o_oo"] == "numeric(18,16)"
    assert columns["delta_13_c_o_oo"] == "numeric(17,15)"
    assert columns["comments"] == "text"
    comment = await berth.sql("SELECT col_description('public.penguins_raw'::regclass, 10)")
    assert comment[0][0] == "Culmen Length (mm)"
    counted = await berth.sql("SELECT count(*) FILTER (WHERE clutch_completion), "
                              "count(*) FILTER (WHERE delta_15_n_o_oo IS NULL) FROM penguins_raw")
    assert tuple(counted[0]) == (308, 14)


async def test_seattle_weather_dates_with_slashes(berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["seattle_weather"])
    assert done["state"] == "done" and done["rows_done"] == 1461
    assert await berth.columns("seattle_weather") == {
        "date": "date", "precipitation": "numeric(3,1)", "temp_max": "numeric(3,1)",
        "temp_min": "numeric(3,1)", "wind": "numeric(2,1)", "weather": "text"}
    first = await berth.sql("SELECT date::text FROM seattle_weather ORDER BY date LIMIT 1")
    assert first[0][0] == "2012-01-01"


async def test_cars_json(berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["cars"])
    assert done["state"] == "done" and done["rows_done"] == 406
    assert await berth.columns("cars") == {
        "name": "text", "miles_per_gallon": "numeric(3,1)", "cylinders": "smallint",
        "displacement": "numeric(4,1)", "horsepower": "smallint", "weight_in_lbs": "smallint",
        "acceleration": "numeric(3,1)", "year": "date", "origin": "text"}
    nulls = await berth.sql("SELECT count(*) FILTER (WHERE horsepower IS NULL), "
                            "count(*) FILTER (WHERE miles_per_gallon IS NULL), max(weight_in_lbs) FROM cars")
    assert tuple(nulls[0]) == (6, 8, 5140)


async def test_airports_codes_keep_their_leading_zeros(berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["airports"])
    assert done["state"] == "done" and done["rows_done"] == 3376
    columns = await berth.columns("airports")
    assert columns["iata"] == "text" and columns["latitude"] == "numeric(10,8)"
    assert (await berth.sql("SELECT name FROM airports WHERE iata = '00M'"))[0][0] == "Thigpen"


async def test_stocks_dates_that_are_not_iso_stay_text(berth: Berth, data_files: dict[str, Path]) -> None:
    done = await berth.upload(data_files["stocks"])
    assert done["state"] == "done"
    assert await berth.columns("stocks") == {"symbol": "text", "date": "text", "price": "numeric(5,2)"}
