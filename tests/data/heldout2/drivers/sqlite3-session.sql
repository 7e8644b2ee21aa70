.log stderr
.bail off
PRAGMA foreign_keys = ON;
CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0)) STRICT;
CREATE TABLE orders (id INTEGER PRIMARY KEY, part_id INTEGER REFERENCES parts(id), n INTEGER);
INSERT INTO parts VALUES (1, 'bolt', 10), (2, 'nut', 20);
INSERT INTO parts VALUES (3, 'bolt', 5);
INSERT INTO parts VALUES (4, NULL, 5);
INSERT INTO parts VALUES (5, 'gear', -2);
INSERT INTO parts VALUES (6, 'cog', 'lots');
INSERT INTO parts VALUES (1, 'spring', 1);
INSERT INTO orders VALUES (1, 9, 3);
INSERT INTO orders VALUES (2, 1, 3);
DELETE FROM parts WHERE id = 1;
SELEC * FROM parts;
SELECT weight FROM parts;
SELECT * FROM suppliers;
SELECT count(*) FROM parts GROUP BY;
UPDATE parts SET qty = qty - 100 WHERE id = 2;
DROP TABLE shipments;
CREATE TABLE parts (x);
SELECT abs(-9223372036854775808);
SELECT * FROM parts WHERE id = ?1 AND
;
.import --csv --skip 1 items.csv orders
.import missing.csv orders
.read nofile.sql
.tables
.schema nosuch
.mode nonsense
ATTACH 'nodir/other.db' AS other;
SELECT json_extract('{"a":', '$.a');
SELECT printf('%d parts', count(*)) FROM parts;
BEGIN; BEGIN;
COMMIT; COMMIT;
VACUUM INTO 'shop.db';
VACUUM INTO 'shop.db';
