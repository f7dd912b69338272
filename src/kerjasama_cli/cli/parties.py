"""`ks party add|list`: agencies (perangkat daerah) and third parties that sign agreements."""

from typing import TYPE_CHECKING, Annotated

import typer

from kerjasama_cli.cli.app import (
    Format,
    FormatOption,
    ProvinceOption,
    app,
    reading,
    write,
)
from kerjasama_cli.i18n import N_, _

if TYPE_CHECKING:
    from kerjasama_cli.regions import Regions

party_app = typer.Typer(
    help="Register and list parties. A region's government is a party without registering: "
    "refer to it by the region (jatim, Kota Samarinda, 64.72).",
    no_args_is_help=True,
)
app.add_typer(party_app, name="party")

COLUMNS = [
    ("name", N_("Party")),
    ("kind", N_("Kind")),
    ("region_name", N_("Region")),
    ("aliases", N_("Aliases")),
    ("signatory_title", N_("Signed by")),
]

# CSV keeps the columns scripts already read, the region's code among them; its name is last.
CSV_COLUMNS = [
    (key, key)
    for key in (
        "id", "name", "kind", "region", "aliases", "signatory_title", "province", "region_name",
    )
]  # fmt: skip


def _region_name(table: "Regions", code: str | None) -> str | None:
    """A region as people name it, "Provinsi Jawa Timur" or "Kota Surabaya"; a code the
    shipped table does not know (a ledger from a newer table) is shown as it is."""
    if code is None:
        return None
    region = table.by_code.get(code)
    if region is None:
        return code
    return f"Provinsi {region.name}" if region.level == "provinsi" else region.name


@party_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Official name, e.g. 'Dinas Komunikasi dan Informatika Provinsi Jawa Timur'.",
        ),
    ],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            "-r",
            metavar="REGION",
            help="The region it belongs to (jatim, 35, Kota Surabaya).",
        ),
    ] = None,
    alias: Annotated[
        list[str] | None,
        typer.Option(
            "--alias", "-a", metavar="ALIAS", help="A short name to type later (repeatable)."
        ),
    ] = None,
    signatory_title: Annotated[
        str | None,
        typer.Option(
            "--signatory-title", metavar="TITLE", help="Who signs for it, e.g. 'Kepala Dinas'."
        ),
    ] = None,
    third_party: Annotated[
        bool,
        typer.Option(
            "--third-party", help="A company, university or other body (region optional)."
        ),
    ] = False,
) -> None:
    """Register an agency of a region, or another body.

    An agency (perangkat daerah) belongs to a region; --third-party registers a
    company, university or other body, with or without a region. A name or
    alias that only looks like another party's or a region's (a Cyrillic a, a
    zero-width space) or like an agreement key is refused.

    Names are unique within a region, so Kota Samarinda and Kota Surabaya may each
    have a "Dinas Sosial". A name that more than one region uses is referred to with its
    region in parentheses, "Dinas Sosial (Kota Samarinda)" (or any way of naming the
    region: "Dinas Sosial (samarinda)", "Dinas Sosial (64.72)"); an alias is always
    enough. A party without a region needs a name that no other party has.

    Examples:

    \b
        ks party add "Dinas Komunikasi dan Informatika Kota Samarinda" --region samarinda --alias kominfo-samarinda --signatory-title "Kepala Dinas"
        ks party add "Universitas Mulawarman" --third-party --region "Kota Samarinda" --alias unmul
        ks party add "Dinas Sosial" --region "Kota Samarinda" --alias dinsos-samarinda
        ks party add "Dinas Sosial" --region "Kota Surabaya" --alias dinsos-surabaya
        ks add-agreement --kind pks --title "Penanganan Anak Jalanan" --party "Dinas Sosial (Kota Samarinda)" --party "Dinas Sosial (Kota Surabaya)" --date 2025-03-10
    """
    from kerjasama_cli import ledger, render

    party = write(
        ctx,
        lambda sql, actor: ledger.add_party(
            sql, actor, name, region, alias or [], signatory_title, third_party
        ),
    )
    render.message(_("registered {name}").format(name=party.name))


@party_app.command("list")
def list_command(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Option("--region", "-r", metavar="REGION", help="Only this region's parties."),
    ] = None,
    province: ProvinceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List recorded parties.

    A region's government appears once it has been used in an agreement. The table names
    each party's region; --format json and csv give its code (region) and its name
    (region_name).

    Examples:

    \b
        ks party list --province jatim
        ks party list --format json
    """
    from kerjasama_cli import regions, render

    table = regions.load()
    region_code = table.resolve(region).code if region else None
    province_code = table.resolve_province(province).code if province else None
    with reading(ctx) as sql:
        from kerjasama_cli import queries

        rows = (
            {**row, "region_name": _region_name(table, row["region"])}
            for row in queries.list_parties(sql, region_code, province_code)
        )
        if fmt is Format.json:
            render.write_json_array(rows)
        elif fmt is Format.csv:
            render.write_csv(rows, CSV_COLUMNS)
        else:
            render.write_table(rows, COLUMNS, empty=_("no parties recorded"))
