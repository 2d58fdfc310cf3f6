"""The benchmark's DuckDB side: the same question breachscope answers, as a responder would write it in SQL.

Usage: python duckdb_query.py CASE_DIR OUT.csv [LAYOUT]
Filter the CRM audit log by actor, window and success; resolve tickets to customers; join the customers
table; aggregate first/last access, count and fields per customer; write CSV sorted by customer id.
LAYOUT `other` (bench/layouts.sh): the log `logs/audit_export.csv` with other column names, PostgreSQL's
time text and no status column, read without the window and status filters.
"""
import sys

import duckdb

case, out = sys.argv[1], sys.argv[2]
layout = sys.argv[3] if len(sys.argv) > 3 else "standard"

if layout == "standard":
    EV = f"""
    SELECT strptime(event_time, '%Y-%m-%dT%H:%M:%SZ') AS t, entity, entity_id, fields_viewed
    FROM read_csv('{case}/logs/crm_audit.csv', header = true, all_varchar = true)
    WHERE user_name = 'k.walsh'
      AND lower(status) NOT IN ('fail', 'failed', 'failure', 'error', 'denied', 'unauthorized', 'forbidden', 'false', 'rejected', 'blocked')
  """
    W = "SELECT * FROM ev WHERE t BETWEEN TIMESTAMP '2019-06-01 00:00:00' AND TIMESTAMP '2019-09-30 23:59:59'"
elif layout == "other":
    EV = f"""
    SELECT strptime(ts, '%Y-%m-%d %H:%M:%S.%g UTC') AS t, object_type AS entity, object_id AS entity_id, columns AS fields_viewed
    FROM read_csv('{case}/logs/audit_export.csv', header = true, all_varchar = true)
    WHERE actor_login = 'k.walsh'
  """
    W = "SELECT * FROM ev"
else:
    sys.exit(f"duckdb_query.py: unknown layout {layout!r} (standard or other)")

SQL = f"""
COPY (
  WITH ev AS ({EV}),
  w AS ({W}),
  keyed AS (
    SELECT w.t, w.entity, w.fields_viewed,
           CASE WHEN w.entity = 'Customer' THEN w.entity_id ELSE tk.customer_id END AS customer_id
    FROM w LEFT JOIN read_csv('{case}/tickets.csv', header = true, all_varchar = true) tk
      ON w.entity = 'Ticket' AND tk.ticket_number = w.entity_id
  )
  SELECT c.customer_id, c.full_name, c.email, c.phone, c.country, c.state, c.account_type,
         strftime(min(k.t), '%Y-%m-%dT%H:%M:%SZ') AS first_access,
         strftime(max(k.t), '%Y-%m-%dT%H:%M:%SZ') AS last_access,
         count(*) AS access_count,
         string_agg(DISTINCT k.entity || ':' || replace(k.fields_viewed, chr(10), ''), ';') AS fields
  FROM keyed k
  JOIN read_csv('{case}/customers.csv', header = true, all_varchar = true) c ON c.customer_id = k.customer_id
  GROUP BY ALL
  ORDER BY c.customer_id
) TO '{out}' (HEADER, DELIMITER ',');
"""

con = duckdb.connect()
con.execute("SET threads = 2")
con.execute(SQL)
