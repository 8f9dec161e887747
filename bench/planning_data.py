"""Set-based generators of the planning benches (INSERT ... SELECT on PostgreSQL): pharmacies,
professionals referenced at them, stock levels, and handovers with their ledger rows."""

from django.db import connection
from django.db.models import NOT_PROVIDED


def insert_select(model, overrides: dict[str, str], from_sql: str, params=()) -> int:
    """INSERT INTO model's table (every concrete column) SELECT overrides or the field default
    FROM from_sql. Returns the row count."""
    columns, expressions, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in overrides:
            continue
        columns.append(field.column)
        if field.column in overrides:
            expressions.append(overrides[field.column])
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
            continue
        default = field.get_default() if field.default is not NOT_PROVIDED else (None if field.null else "")
        expressions.append("%s")
        values.append(default)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {from_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return cursor.rowcount


def add_pharmacies(count: int, *, prefix: str, region: str | None = None) -> None:
    """`count` pharmacies over the communes (of `region`, else of France), FINESS prefix+serial."""
    from pharmacies.models import Pharmacy

    where = "WHERE region_id = %s" if region else ""
    communes = (
        f"(SELECT row_number() OVER (ORDER BY insee_code) - 1 AS n, insee_code, departement_id, region_id,"
        f" latitude, longitude FROM territories_commune {where}) c"
    )
    insert_select(
        Pharmacy,
        {
            "finess": f"'{prefix}' || lpad(g::text, 7, '0')",
            "name": f"'Pharmacie {prefix}-' || g",
            "address": "'1 place de la Mairie'",
            "commune_id": "c.insee_code",
            "departement_id": "c.departement_id",
            "region_id": "c.region_id",
            "latitude": "c.latitude",
            "longitude": "c.longitude",
        },
        f"generate_series(1, %s) g JOIN {communes}"
        f" ON c.n = g %% (SELECT count(*) FROM territories_commune {where})",
        [count, *([region, region] if region else [])],
    )


def add_referenced_professionals(*, prefix: str, per_pharmacy: list[int] | int, rpps_offset: int) -> int:
    """Professionals (nurses and doctors, 18 surgical masks a week) referenced at the pharmacies
    whose FINESS starts with `prefix`: `per_pharmacy` each (an int, or one count per pharmacy
    in FINESS order)."""
    from professionals.models import Professional, Referencing

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM pharmacies_pharmacy WHERE finess LIKE %s ORDER BY finess", [prefix + "%"]
        )
        ids = [row[0] for row in cursor.fetchall()]
    counts = per_pharmacy if isinstance(per_pharmacy, list) else [per_pharmacy] * len(ids)
    owners = [pk for pk, n in zip(ids, counts, strict=True) for _ in range(n)]
    created = insert_select(
        Professional,
        {
            "rpps": f"lpad((g + {rpps_offset})::text, 11, '0')",
            "adeli": "NULL",
            "profession": "CASE WHEN g %% 2 = 0 THEN 'infirmier' ELSE 'medecin' END",
            "first_name": "'Camille'",
            "last_name": "'Banc' || g",
            "search_name": "'banc' || g",
            "practice_address": "o.pharmacy_id::text",
            "practice_commune_id": "ph.commune_id",
            "latitude": "ph.latitude",
            "longitude": "ph.longitude",
        },
        "unnest(%s::bigint[]) WITH ORDINALITY AS o(pharmacy_id, g)"
        " JOIN pharmacies_pharmacy ph ON ph.id = o.pharmacy_id",
        [owners],
    )
    insert_select(
        Referencing,
        {"professional_id": "p.id", "pharmacy_id": "p.practice_address::bigint", "started_at": "now()"},
        "professionals_professional p WHERE p.rpps > %s AND p.rpps <= %s AND p.practice_address <> ''",
        [f"{rpps_offset:011d}", f"{rpps_offset + len(owners):011d}"],
    )
    return created


def add_stock_levels(*, prefix: str, product_id: int, on_hand_sql: str = "(random() * 300)::int") -> None:
    from pharmacies.models import StockLevel

    insert_select(
        StockLevel,
        {"pharmacy_id": "ph.id", "product_id": str(int(product_id)), "on_hand": on_hand_sql, "reserved": "0"},
        "pharmacies_pharmacy ph WHERE ph.finess LIKE %s",
        [prefix + "%"],
    )


HANDOVERS_SQL = """
WITH src AS (
    SELECT * FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[]) AS t(pharmacy_id, quantity, at)
),
mv AS (
    INSERT INTO pharmacies_stockmovement (level_id, pharmacy_id, product_id, kind, on_hand_delta,
        reserved_delta, on_hand_after, reserved_after, source, reason, created_at)
    SELECT l.id, s.pharmacy_id, l.product_id, 'dispensation', -s.quantity, 0, 0, 0, '', '', s.at
    FROM src s JOIN pharmacies_stocklevel l ON l.pharmacy_id = s.pharmacy_id AND l.product_id = %s
    RETURNING id, pharmacy_id, product_id, -on_hand_delta AS quantity, created_at
)
INSERT INTO distribution_dispensation (professional_id, pharmacy_id, product_id, quantity, policy_id,
    period_start, identity_checked, dispensed_by_id, movement_id, created_at)
SELECT %s, mv.pharmacy_id, mv.product_id, mv.quantity, %s, (mv.created_at AT TIME ZONE 'Europe/Paris')::date,
    true, %s, mv.id, mv.created_at
FROM mv
"""


def add_handovers(rows, *, product_id, professional_id, policy_id, user_id) -> int:
    """rows: (pharmacy id, quantity, aware datetime). Each with its ledger row."""
    if not rows:
        return 0
    pharmacies, quantities, moments = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            HANDOVERS_SQL,
            [
                list(pharmacies),
                list(quantities),
                list(moments),
                product_id,
                professional_id,
                policy_id,
                user_id,
            ],
        )
        return cursor.rowcount


def handover_rows_sql(
    *, prefix: str, product_id, professional_id, policy_id, user_id, first_day, days: int, per_day: int
) -> int:
    """Handovers generated in SQL: `per_day` a day at every pharmacy of `prefix` for `days` days."""
    sql = HANDOVERS_SQL.replace(
        "SELECT * FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[]) AS t(pharmacy_id, quantity, at)",
        "SELECT ph.id AS pharmacy_id, 1 + (random() * 5)::int AS quantity,"
        " (%s::date + d)::timestamp AT TIME ZONE 'Europe/Paris' + make_interval(hours => 8 + h) AS at"
        " FROM pharmacies_pharmacy ph, generate_series(0, %s - 1) d, generate_series(1, %s) h"
        " WHERE ph.finess LIKE %s",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [first_day, days, per_day, prefix + "%", product_id, professional_id, policy_id, user_id],
        )
        return cursor.rowcount
