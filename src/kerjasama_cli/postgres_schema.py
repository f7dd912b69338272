"""A ledger's schema on PostgreSQL as its catalog describes it, and this release's snapshot.

`ks verify` on a database compares the objects of the ledger's schema (`current_schema()`)
with `SNAPSHOT_FILE`: what `ks db init` builds, as the catalog of a fresh ledger describes it
(`scripts/postgres_schema.py` writes it; a test holds it equal to a fresh `ks db init`).
Reading it needs no server write and no Alembic: verify never builds a scratch schema.

Each object is described as PostgreSQL itself prints it (`pg_get_indexdef`,
`pg_get_triggerdef`, `pg_get_constraintdef`, `pg_get_functiondef`, `format_type`), so two
descriptions are equal exactly when the objects are; the schema's name is left out, so a
ledger in another schema than `public` compares the same. Left out as well: what the server
names itself (the internal triggers of foreign keys, which the constraints imply), the
indexes of primary keys and unique constraints (the constraints say them), constraint
names (as on SQLite: a rename changes nothing stored), and the objects of extensions.

What the snapshot cannot hold is checked apart (`problems`): every trigger enabled (the
owner can `ALTER TABLE ... DISABLE TRIGGER`), every index valid, and, where the `amcheck`
extension is installed and may be used, the B-tree indexes and the tables' pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kerjasama_cli import db
from kerjasama_cli.i18n import N_, _
from kerjasama_cli.queries import Sql, first
from kerjasama_cli.verify import ON_TABLE, SchemaObject, schema_differences

SNAPSHOT_FILE = Path(__file__).parent / "data" / "schema-postgresql.json"
SNAPSHOT_NOTE = (
    "What ks db init builds on PostgreSQL, as the catalog describes it; written by "
    "scripts/postgres_schema.py, checked by the tests and compared by ks verify."
)

# The ledger's schema, and a filter on objects that no extension owns.
_SCHEMA = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())"
_STRIP = "quote_ident(current_schema()) || '.'"


def _own(catalog: str, column: str) -> str:
    return (
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
        f"'pg_catalog.{catalog}'::regclass AND d.objid = {column} AND d.deptype = 'e')"
    )


_RELATIONS = (
    "SELECT c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, "
    "(SELECT string_agg(p.relname, ', ' ORDER BY p.relname) FROM pg_catalog.pg_inherits i "
    "JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid), "
    "(SELECT string_agg(k.relname, ', ' ORDER BY k.relname) FROM pg_catalog.pg_inherits i "
    "JOIN pg_catalog.pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = c.oid), "
    "CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END "
    "FROM pg_catalog.pg_class c "
    f"WHERE c.relnamespace = {_SCHEMA} AND c.relkind IN ('r', 'p', 'f', 'v', 'm') "
    f"AND {_own('pg_class', 'c.oid')} ORDER BY c.relname"
)
_COLUMNS = (
    "SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
    "a.attnotnull, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, "
    "a.attgenerated, CASE WHEN a.attcollation <> t.typcollation THEN co.collname END "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
    "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
    f"WHERE c.relnamespace = {_SCHEMA} AND c.relkind IN ('r', 'p', 'f') "
    f"AND a.attnum > 0 AND NOT a.attisdropped AND {_own('pg_class', 'c.oid')} "
    "ORDER BY c.relname, a.attnum"
)
_CONSTRAINTS = (
    "SELECT c.relname, replace(pg_catalog.pg_get_constraintdef(k.oid), " + _STRIP + ", '') "
    "FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND {_own('pg_class', 'c.oid')} "
    "ORDER BY c.relname, 2"
)
_INDEXES = (
    "SELECT i.relname, c.relname, replace(pg_catalog.pg_get_indexdef(i.oid), "
    + _STRIP
    + ", '') FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_catalog.pg_class c ON c.oid = x.indrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND {_own('pg_class', 'c.oid')} "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.oid "
    "AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x')) ORDER BY i.relname"
)
_TRIGGERS = (
    "SELECT t.tgname, c.relname, replace(pg_catalog.pg_get_triggerdef(t.oid), "
    + _STRIP
    + ", '') FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND NOT t.tgisinternal ORDER BY t.tgname, c.relname"
)
_FUNCTIONS = (
    "SELECT p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', "
    "CASE WHEN p.prokind IN ('f', 'p') THEN replace(pg_catalog.pg_get_functiondef(p.oid), "
    + _STRIP
    + ", '') ELSE p.prokind::text END FROM pg_catalog.pg_proc p "
    f"WHERE p.pronamespace = {_SCHEMA} AND {_own('pg_proc', 'p.oid')} ORDER BY 1"
)
_SEQUENCES = (
    "SELECT c.relname, 'CREATE SEQUENCE ' || quote_ident(c.relname) || ' AS ' "
    "|| pg_catalog.format_type(s.seqtypid, NULL) || ' INCREMENT ' || s.seqincrement "
    "|| ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' START ' || s.seqstart "
    "|| CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END "
    "FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND {_own('pg_class', 'c.oid')} ORDER BY c.relname"
)
_RULES = (
    "SELECT r.rulename, c.relname, replace(pg_catalog.pg_get_ruledef(r.oid), "
    + _STRIP
    + ", '') FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
    f"WHERE c.relnamespace = {_SCHEMA} AND r.rulename <> '_RETURN' "
    "ORDER BY r.rulename, c.relname"
)
_POLICIES = (
    "SELECT policyname, tablename, 'CREATE POLICY ' || quote_ident(policyname) || ' ON ' "
    "|| quote_ident(tablename) || ' AS ' || permissive || ' FOR ' || cmd || ' TO ' "
    "|| array_to_string(roles, ', ') || COALESCE(' USING (' || qual || ')', '') "
    "|| COALESCE(' WITH CHECK (' || with_check || ')', '') "
    "FROM pg_catalog.pg_policies WHERE schemaname = current_schema() "
    "ORDER BY policyname, tablename"
)
# What is not a matter of definitions: triggers that do not fire, indexes not usable.
_DISABLED_TRIGGERS = (
    "SELECT c.relname, t.tgname, t.tgisinternal, t.tgenabled "
    "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND t.tgenabled IN ('D', 'R') "
    "ORDER BY c.relname, t.tgisinternal, t.tgname"
)
_INVALID_INDEXES = (
    "SELECT i.relname, c.relname FROM pg_catalog.pg_index x "
    "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_catalog.pg_class c ON c.oid = x.indrelid "
    f"WHERE c.relnamespace = {_SCHEMA} AND NOT (x.indisvalid AND x.indisready AND x.indislive) "
    "ORDER BY i.relname"
)
_AMCHECK = (
    "SELECT n.nspname, e.extversion FROM pg_catalog.pg_extension e "
    "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'"
)
_BTREE_INDEXES = (
    "SELECT i.relname, c.relname FROM pg_catalog.pg_index x "
    "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_catalog.pg_class c ON c.oid = x.indrelid "
    "JOIN pg_catalog.pg_am am ON am.oid = i.relam "
    f"WHERE c.relnamespace = {_SCHEMA} AND am.amname = 'btree' AND x.indisvalid "
    "ORDER BY i.relname"
)


def objects(sql: Sql) -> dict[tuple[str, str], SchemaObject]:
    """The objects of the ledger's schema, by (kind, name): kinds as on SQLite (table,
    index, trigger, view) and PostgreSQL's own (sequence, function, rule, policy)."""
    return _from_description(describe(sql))


def describe(sql: Sql) -> list[dict[str, Any]]:
    """The schema's objects as the snapshot file holds them: plain data, in a fixed order."""
    columns: dict[str, dict[str, str]] = {}
    for table, name, kind, not_null, default, identity, generated, collation in sql(_COLUMNS):
        columns.setdefault(table, {})[name] = _column(
            kind, not_null, default, identity, generated, collation
        )
    constraints: dict[str, list[str]] = {}
    for table, definition in sql(_CONSTRAINTS):
        constraints.setdefault(table, []).append(definition)
    found: list[dict[str, Any]] = []
    for name, kind, persistence, security, forced, parents, children, view in sql(_RELATIONS):
        if kind in ("v", "m"):
            word = "VIEW" if kind == "v" else "MATERIALIZED VIEW"
            found.append(_object("view", name, name, f"CREATE {word} {name} AS {view}"))
            continue
        options = [
            word
            for wanted, word in (
                (kind == "p", "partitioned"),
                (kind == "f", "foreign"),
                (persistence == "u", "unlogged"),
                (security, "row level security"),
                (forced, "forced row level security"),
                (parents, f"inherits {parents}"),
                (children, f"inherited by {children}"),
            )
            if wanted
        ]
        found.append(
            {
                "kind": "table",
                "name": name,
                "columns": columns.get(name, {}),  # in the table's order
                "constraints": sorted(constraints.get(name, [])),
                "options": options,
            }
        )
    for kind, query in (("sequence", _SEQUENCES), ("function", _FUNCTIONS)):
        found += [_object(kind, name, None, definition) for name, definition in sql(query)]
    for kind, query in (
        ("index", _INDEXES),
        ("trigger", _TRIGGERS),
        ("rule", _RULES),
        ("policy", _POLICIES),
    ):
        found += [_object(kind, name, table, text) for name, table, text in sql(query)]
    return found


def _column(
    kind: str,
    not_null: bool,
    default: str | None,
    identity: str,
    generated: str,
    collation: str | None,
) -> str:
    words = [kind]
    if collation is not None:
        words.append(f'COLLATE "{collation}"')
    if not_null:
        words.append("NOT NULL")
    if generated:
        words.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        words.append(f"DEFAULT {default}")
    if identity:
        words.append(
            "GENERATED " + ("ALWAYS" if identity == "a" else "BY DEFAULT") + " AS IDENTITY"
        )
    return " ".join(words)


def _object(kind: str, name: str, table: str | None, definition: str) -> dict[str, Any]:
    described: dict[str, Any] = {"kind": kind, "name": name}
    if table is not None:
        described["table"] = table
    described["definition"] = definition
    return described


def _from_description(described: Iterable[dict[str, Any]]) -> dict[tuple[str, str], SchemaObject]:
    found = {}
    for item in described:
        kind, name = item["kind"], item["name"]
        if kind == "table":
            found[(kind, name)] = SchemaObject(
                kind,
                name,
                name,
                tuple(item["options"]),
                tuple((column, (definition,)) for column, definition in item["columns"].items()),
                frozenset((c,) for c in item["constraints"]),
            )
        else:
            table = item.get("table", name)
            # Trigger, rule and policy names are unique per table only.
            key = (kind, f"{table}.{name}" if kind in ON_TABLE else name)
            found[key] = SchemaObject(kind, name, table, (item["definition"],))
    return found


def expected() -> dict[tuple[str, str], SchemaObject] | None:
    """This release's objects, from the snapshot; None if the snapshot is not of this
    release's schema (a release whose snapshot was not written again after a migration)."""
    try:
        snapshot = json.loads(SNAPSHOT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if snapshot.get("revision") != db.SCHEMA_HEAD:
        return None
    return _from_description(snapshot["objects"])


def differences(found: dict[tuple[str, str], SchemaObject]) -> list[str]:
    """What in the objects `found` differs from this release's snapshot, one line each."""
    wanted = expected()
    if wanted is None:
        return [
            _(
                "schema: this release has no description of schema {revision} on "
                "PostgreSQL to compare with (a faulty release)"
            ).format(revision=db.SCHEMA_HEAD)
        ]
    return schema_differences(found, wanted)


def snapshot_text(sql: Sql) -> str:
    """The snapshot file's text for the ledger `sql` reads (a fresh `ks db init`)."""
    snapshot = {"revision": db.SCHEMA_HEAD, "note": SNAPSHOT_NOTE, "objects": describe(sql)}
    return json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n"


def problems(sql: Sql) -> list[str]:
    """What makes a ledger's schema unsound though every definition is right: triggers
    that do not fire, indexes not valid, and what amcheck finds where it may be run."""
    found = []
    internal_off = set()
    for table, trigger, internal, _state in sql(_DISABLED_TRIGGERS):
        if internal:  # one line per table: their names are the server's
            if table not in internal_off:
                internal_off.add(table)
                found.append(
                    _(
                        "schema: the foreign keys of table {table} are not enforced "
                        "(its constraint triggers are disabled)"
                    ).format(table=table)
                )
        else:
            found.append(
                _("schema: trigger {name} on {table} is disabled").format(name=trigger, table=table)
            )
    for index, table in sql(_INVALID_INDEXES):
        found.append(
            _(
                "integrity: index {name} on {table} is not valid (rebuild it: REINDEX INDEX {name})"
            ).format(name=index, table=table)
        )
    return found + _amcheck(sql)


def _amcheck(sql: Sql) -> list[str]:
    """amcheck's findings, if the extension is installed and this role may run it (by
    default only superusers may); nothing otherwise: the check is a bonus, not a need."""
    import psycopg

    row = first(sql(_AMCHECK))
    if row is None:
        return []
    schema = '"' + str(row[0]).replace('"', '""') + '"'
    found: list[str] = []
    # Each index against its table's rows (heapallindexed), then each table's pages.
    checks = [
        (N_("index"), index, f"SELECT {schema}.bt_index_check(:relation::regclass, true)")
        for index, _table in sql(_BTREE_INDEXES)
    ]
    if tuple(int(p) for p in str(row[1]).split(".")[:2]) >= (1, 3):  # verify_heapam: PG 14
        checks += [
            (
                N_("table"),
                table,
                f"SELECT blkno, offnum, msg FROM {schema}.verify_heapam(:relation::regclass)",
            )
            for (table,) in sql(
                f"SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relnamespace = {_SCHEMA} "
                "AND c.relkind = 'r' ORDER BY c.relname"
            )
        ]
    for kind, relation, check in checks:
        sql("SAVEPOINT ks_amcheck")
        try:
            rows = list(sql(check, relation=_quoted(relation)))
        except psycopg.Error as exc:
            sql("ROLLBACK TO SAVEPOINT ks_amcheck")
            if isinstance(exc, psycopg.errors.InsufficientPrivilege):  # not ours to run
                return found
            found.append(
                _("integrity: {kind} {name}: {problem}").format(
                    kind=_(kind), name=relation, problem=str(exc).strip().splitlines()[0]
                )
            )
            continue
        sql("RELEASE SAVEPOINT ks_amcheck")
        for values in rows:
            if len(values) == 3:  # a damaged item verify_heapam found
                found.append(
                    _("integrity: table {table}, page {page}, item {item}: {problem}").format(
                        table=relation, page=values[0], item=values[1], problem=values[2]
                    )
                )
    return found


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
