"""`ks regions`: the provinces, regencies and cities that parties belong to."""

from typing import Annotated

import typer

from kerjasama_cli.cli.app import Format, FormatOption, ProvinceOption, app
from kerjasama_cli.i18n import N_, _

COLUMNS = [
    ("code", N_("Code")),
    ("name", N_("Name")),
    ("level", N_("Level")),
    ("aliases", N_("Abbreviations")),
]


@app.command("regions")
def regions_command(
    province: ProvinceOption = None,
    level: Annotated[
        str | None, typer.Option("--level", metavar="LEVEL", help="provinsi, kabupaten or kota.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List provinces, regencies and cities.

    The 38 provinces and 514 regencies/cities with their Kemendagri codes.

    Any of a region's code, abbreviation or name is accepted wherever ks asks for a region.

    Examples:

    \b
        ks regions                      # the provinces and all regencies/cities
        ks regions --province kaltim    # Kalimantan Timur and its regencies/cities
        ks regions --level provinsi --format csv
    """
    from kerjasama_cli import regions, render
    from kerjasama_cli.errors import InvalidInput

    table = regions.load()
    if level is not None and level.lower() not in regions.LEVELS:
        raise InvalidInput(
            _("unknown level {level!r}; use provinsi, kabupaten or kota").format(level=level)
        )
    selected = table.in_province(table.resolve_province(province).code) if province else table.all()
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "province_code": r.province_code,
            "aliases": list(r.aliases),
        }
        for r in selected
        if level is None or r.level == level.lower()
    ]
    if fmt is Format.json:
        render.write_json_array(rows)
    elif fmt is Format.csv:
        render.write_csv(rows, [*COLUMNS[:3], ("province_code", ""), COLUMNS[3]])
    else:
        render.write_table(rows, COLUMNS)
