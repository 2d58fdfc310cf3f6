"""The benchmark's DuckDB side: the same question breachscope answers, as a responder would write it in SQL.

Usage: python duckdb_query.py CASE_DIR OUT.csv
Filter the CRM audit log by actor, window and success; resolve tickets to customers; join the customers
table; aggregate first/last access, count and fields per customer; write CSV sorted by customer id.
"""
import sys

import duckdb

case, out = sys.argv[1], sys.argv[2]
SQL = f"""
COPY (
  WITH ev AS (
    SELECT strptime(event_time, '%Y-%m-%dT%H:%M:%SZ') AS t, entity, entity_id, fields_viewed
    FROM read_csv('{case}/logs/crm_audit.csv', header = true, all_varchar = true)
    WHERE user_name = 'k.walsh'
      AND lower(status) NOT IN ('fail', 'failed', 'failure', 'error', 'denied', 'unauthorized', 'forbidden', 'false', 'rejected', 'blocked')
  ),
  w AS (
    SELECT * FROM ev WHERE t BETWEEN TIMESTAMP '2019-06-01 00:00:00' AND TIMESTAMP '2019-09-30 23:59:59'
  ),
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
