P="psql -X -q -h 127.0.0.1 -p 55432 -U postgres"
S="psql -X -q -h /tmp/h2/pg -p 55432 -U postgres"
$P -c "CREATE DATABASE shop"
$P -d shop -c "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric CHECK (price > 0))"
$P -d shop -c "INSERT INTO items VALUES (1, 'apple', 3), (2, 'pear', 4)"
$P -d shop -c "INSERT INTO items VALUES (1, 'plum', 5)"
$S -d shop -c "INSERT INTO items VALUES (3, NULL, 5)"
$S -d shop -c "INSERT INTO items VALUES (4, 'fig', -1)"
$P -d shop -c "SELEC * FROM items"
$P -d shop -c "SELECT * FROM orders"
$P -d shop -c "SELECT weight FROM items"
$S -d shop -c "SELECT 1/0"
$P -d shop -c "SELECT 'abc'::int"
$P -d nope -c "SELECT 1"
$P -U ghost -d shop -c "SELECT 1"
$S -d shop -c "SELECT count(*) FROM generate_series(1,200000) g GROUP BY g % 7 ORDER BY 1" >/dev/null
$S -d shop -c "SELECT g FROM generate_series(1,100000) g ORDER BY g DESC LIMIT 1" >/dev/null
$P -d shop -c "CHECKPOINT"
$P -d shop <<'SQL'
SELECT id,
       nam
  FROM items
 WHERE price > 1;
SQL
$P -d shop -c "BEGIN; LOCK TABLE items; SELECT pg_sleep(1); COMMIT;" &
sleep 0.3
$S -d shop -c "UPDATE items SET price = price + 1 WHERE id = 1"
wait
$P -d shop -c "DROP TABLE missing_table"
$P -d shop -c "CREATE TABLE items (id int)"
$S -d shop -c "SELECT pg_terminate_backend(pg_backend_pid())"
$P -d shop -c "SET statement_timeout = '100ms'; SELECT pg_sleep(2)"
$P -d shop -c "COMMIT"
$P -d shop -c "VACUUM items"
$P -c "DROP DATABASE shop"
