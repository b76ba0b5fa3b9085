-- ddl:raw.olist_order_payments
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_order_payments (
  order_id string,
  payment_sequential int,
  payment_type string,
  payment_installments int,
  payment_value decimal(12,2),
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_payments/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_payments/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_order_payments
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_order_payments (
  order_id string,
  payment_sequential int,
  payment_type string,
  payment_installments int,
  payment_value decimal(12,2),
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_order_payments/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:raw.olist_orders
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_orders (
  order_id string,
  customer_id string,
  order_status string,
  order_purchase_timestamp timestamp,
  order_approved_at timestamp,
  order_delivered_carrier_date timestamp,
  order_delivered_customer_date timestamp,
  order_estimated_delivery_date timestamp,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_orders/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_orders/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_orders
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_orders (
  order_id string,
  customer_id string,
  order_status string,
  order_purchase_timestamp timestamp,
  order_approved_at timestamp,
  order_delivered_carrier_date timestamp,
  order_delivered_customer_date timestamp,
  order_estimated_delivery_date timestamp,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (month(order_purchase_timestamp))
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_orders/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:summary.olist_delivery_daily
CREATE TABLE IF NOT EXISTS landfall_dev_summary.olist_delivery_daily (
  purchase_date date,
  orders bigint,
  delivered_orders bigint,
  late_orders bigint,
  avg_delivery_days double,
  revenue decimal(18,2)
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/olist_delivery_daily/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:summary.olist_delivery_features
CREATE TABLE IF NOT EXISTS landfall_dev_summary.olist_delivery_features (
  order_id string,
  purchase_date date,
  customer_state string,
  seller_state string,
  item_count bigint,
  price_total decimal(18,2),
  freight_total decimal(18,2),
  freight_share double,
  delivery_days double,
  estimated_days double,
  is_late boolean,
  review_score double
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/olist_delivery_features/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:summary.olist_delivery_daily__affected
CREATE TABLE IF NOT EXISTS landfall_dev_summary.olist_delivery_daily__affected (
  purchase_date date,
  `_round` string
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/olist_delivery_daily__affected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- capture:summary.olist_delivery_daily:olist_order_payments
INSERT INTO landfall_dev_summary.olist_delivery_daily__affected
SELECT DISTINCT "purchase_date", 'olist_customers-merge-20261122T060000Z-abc123-r1' AS _round FROM (
  SELECT CAST(o.order_purchase_timestamp AS DATE) AS purchase_date
  FROM (SELECT * FROM landfall_dev_curated.olist_order_payments WHERE ("order_id", "payment_sequential") IN (SELECT "order_id", "payment_sequential" FROM (SELECT * FROM landfall_dev_raw.olist_order_payments WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS n)) AS b JOIN landfall_dev_curated.olist_orders AS o ON o.order_id = b.order_id
) AS x;

-- merge:curated.olist_order_payments
MERGE INTO landfall_dev_curated.olist_order_payments AS t
USING (
  SELECT "order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (
    SELECT *, row_number() OVER (PARTITION BY "order_id", "payment_sequential" ORDER BY _ingested_at DESC, _batch_id DESC, _source_line DESC) AS _rn
    FROM (SELECT * FROM landfall_dev_raw.olist_order_payments WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
  ) AS d
  WHERE _rn = 1
) AS s
ON t."order_id" = s."order_id" AND t."payment_sequential" = s."payment_sequential"
WHEN MATCHED THEN UPDATE SET "payment_type" = s."payment_type", "payment_installments" = s."payment_installments", "payment_value" = s."payment_value", "_batch_id" = s."_batch_id", "_source_key" = s."_source_key", "_source_line" = s."_source_line", "_ingested_at" = s."_ingested_at"
WHEN NOT MATCHED THEN INSERT ("order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."order_id", s."payment_sequential", s."payment_type", s."payment_installments", s."payment_value", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");

-- summary:summary.olist_delivery_daily
MERGE INTO landfall_dev_summary.olist_delivery_daily AS t
USING (
  WITH affected AS (
    SELECT DISTINCT "purchase_date" FROM (
      (
        SELECT CAST(o.order_purchase_timestamp AS DATE) AS purchase_date
        FROM (SELECT * FROM landfall_dev_raw.olist_order_payments WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b JOIN landfall_dev_curated.olist_orders AS o ON o.order_id = b.order_id
      )
      UNION ALL
      (
        SELECT "purchase_date" FROM landfall_dev_summary.olist_delivery_daily__affected WHERE _round = 'olist_customers-merge-20261122T060000Z-abc123-r1'
      )
    ) AS x
  ),
  recomputed AS (
    SELECT * FROM (
      SELECT CAST(o.order_purchase_timestamp AS DATE) AS purchase_date,
             count(*) AS orders,
             sum(CASE WHEN o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL THEN 1 ELSE 0 END) AS delivered_orders,
             sum(CASE WHEN o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL
                       AND CAST(o.order_delivered_customer_date AS DATE) > CAST(o.order_estimated_delivery_date AS DATE) THEN 1 ELSE 0 END) AS late_orders,
             avg(CASE WHEN o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL
                      THEN CAST(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date) AS DOUBLE) / 86400 END) AS avg_delivery_days,
             CAST(coalesce(sum(p.paid), 0) AS DECIMAL(18,2)) AS revenue
      FROM landfall_dev_curated.olist_orders AS o
      LEFT JOIN (SELECT order_id, sum(payment_value) AS paid FROM landfall_dev_curated.olist_order_payments GROUP BY order_id) AS p
        ON p.order_id = o.order_id
      GROUP BY CAST(o.order_purchase_timestamp AS DATE)
    ) AS y WHERE "purchase_date" IN (SELECT "purchase_date" FROM affected)
  )
  SELECT a."purchase_date", r."orders", r."delivered_orders", r."late_orders", r."avg_delivery_days", r."revenue", r."purchase_date" IS NOT NULL AS _present
  FROM affected AS a LEFT JOIN recomputed AS r ON r."purchase_date" = a."purchase_date"
) AS s
ON t."purchase_date" = s."purchase_date"
WHEN MATCHED AND NOT s._present THEN DELETE
WHEN MATCHED THEN UPDATE SET "orders" = s."orders", "delivered_orders" = s."delivered_orders", "late_orders" = s."late_orders", "avg_delivery_days" = s."avg_delivery_days", "revenue" = s."revenue"
WHEN NOT MATCHED AND s._present THEN INSERT ("purchase_date", "orders", "delivered_orders", "late_orders", "avg_delivery_days", "revenue") VALUES (s."purchase_date", s."orders", s."delivered_orders", s."late_orders", s."avg_delivery_days", s."revenue");

-- forget:summary.olist_delivery_daily__affected
DELETE FROM landfall_dev_summary.olist_delivery_daily__affected WHERE _round = 'olist_customers-merge-20261122T060000Z-abc123-r1';

-- view:analytics.olist_delivery_daily
CREATE OR REPLACE VIEW landfall_dev_analytics.olist_delivery_daily AS
SELECT purchase_date,
       orders,
       delivered_orders,
       late_orders,
       CASE WHEN delivered_orders > 0 THEN round(100 * CAST(late_orders AS DOUBLE) / delivered_orders, 2) END AS late_pct,
       round(avg_delivery_days, 2) AS avg_delivery_days,
       revenue AS revenue_brl
FROM landfall_dev_summary.olist_delivery_daily;

-- view:analytics.olist_delivery_features
CREATE OR REPLACE VIEW landfall_dev_analytics.olist_delivery_features AS
SELECT order_id, purchase_date, customer_state, seller_state, item_count, price_total AS price_brl, freight_total AS freight_brl,
       round(freight_share, 4) AS freight_share, round(delivery_days, 2) AS delivery_days, round(estimated_days, 2) AS estimated_days,
       is_late, review_score
FROM landfall_dev_summary.olist_delivery_features;
