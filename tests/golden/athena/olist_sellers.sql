-- ddl:raw.olist_customers
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_customers (
  customer_id string,
  customer_unique_id string,
  customer_zip_code_prefix string,
  customer_city string,
  customer_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_customers/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_customers/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_customers
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_customers (
  customer_id string,
  customer_unique_id string,
  customer_zip_code_prefix string,
  customer_city string,
  customer_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_customers/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:raw.olist_order_items
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_order_items (
  order_id string,
  order_item_id int,
  product_id string,
  seller_id string,
  shipping_limit_date timestamp,
  price decimal(12,2),
  freight_value decimal(12,2),
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_items/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_items/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_order_items
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_order_items (
  order_id string,
  order_item_id int,
  product_id string,
  seller_id string,
  shipping_limit_date timestamp,
  price decimal(12,2),
  freight_value decimal(12,2),
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_order_items/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:raw.olist_order_reviews
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_order_reviews (
  review_id string,
  order_id string,
  review_score int,
  review_comment_title string,
  review_comment_message string,
  review_creation_date timestamp,
  review_answer_timestamp timestamp,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_reviews/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_order_reviews/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_order_reviews
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_order_reviews (
  review_id string,
  order_id string,
  review_score int,
  review_comment_title string,
  review_comment_message string,
  review_creation_date timestamp,
  review_answer_timestamp timestamp,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_order_reviews/'
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

-- ddl:raw.olist_sellers
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_sellers (
  seller_id string,
  seller_zip_code_prefix string,
  seller_city string,
  seller_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_sellers/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_sellers/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_sellers
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_sellers (
  seller_id string,
  seller_zip_code_prefix string,
  seller_city string,
  seller_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_sellers/'
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

-- ddl:summary.olist_delivery_features__affected
CREATE TABLE IF NOT EXISTS landfall_dev_summary.olist_delivery_features__affected (
  order_id string,
  `_round` string
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/olist_delivery_features__affected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- capture:summary.olist_delivery_features:olist_sellers
INSERT INTO landfall_dev_summary.olist_delivery_features__affected
SELECT DISTINCT "order_id", 'olist_customers-merge-20261122T060000Z-abc123-r1' AS _round FROM (
  SELECT it.order_id FROM (SELECT * FROM landfall_dev_curated.olist_sellers WHERE "seller_id" IN (SELECT "seller_id" FROM (SELECT * FROM landfall_dev_raw.olist_sellers WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS n)) AS b JOIN landfall_dev_curated.olist_order_items AS it ON it.seller_id = b.seller_id
) AS x;

-- merge:curated.olist_sellers
MERGE INTO landfall_dev_curated.olist_sellers AS t
USING (
  SELECT "seller_id", "seller_zip_code_prefix", "seller_city", "seller_state", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (
    SELECT *, row_number() OVER (PARTITION BY "seller_id" ORDER BY _ingested_at DESC, _batch_id DESC, _source_line DESC) AS _rn
    FROM (SELECT * FROM landfall_dev_raw.olist_sellers WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
  ) AS d
  WHERE _rn = 1
) AS s
ON t."seller_id" = s."seller_id"
WHEN MATCHED THEN UPDATE SET "seller_zip_code_prefix" = s."seller_zip_code_prefix", "seller_city" = s."seller_city", "seller_state" = s."seller_state", "_batch_id" = s."_batch_id", "_source_key" = s."_source_key", "_source_line" = s."_source_line", "_ingested_at" = s."_ingested_at"
WHEN NOT MATCHED THEN INSERT ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."seller_id", s."seller_zip_code_prefix", s."seller_city", s."seller_state", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");

-- summary:summary.olist_delivery_features
MERGE INTO landfall_dev_summary.olist_delivery_features AS t
USING (
  WITH affected AS (
    SELECT DISTINCT "order_id" FROM (
      (
        SELECT it.order_id FROM (SELECT * FROM landfall_dev_raw.olist_sellers WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b JOIN landfall_dev_curated.olist_order_items AS it ON it.seller_id = b.seller_id
      )
      UNION ALL
      (
        SELECT "order_id" FROM landfall_dev_summary.olist_delivery_features__affected WHERE _round = 'olist_customers-merge-20261122T060000Z-abc123-r1'
      )
    ) AS x
  ),
  recomputed AS (
    SELECT * FROM (
      SELECT o.order_id,
             CAST(o.order_purchase_timestamp AS DATE) AS purchase_date,
             c.customer_state,
             s.seller_state,
             i.item_count,
             CAST(i.price_total AS DECIMAL(18,2)) AS price_total,
             CAST(i.freight_total AS DECIMAL(18,2)) AS freight_total,
             CASE WHEN i.price_total > 0 THEN CAST(i.freight_total AS DOUBLE) / CAST(i.price_total AS DOUBLE) END AS freight_share,
             CAST(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date) AS DOUBLE) / 86400 AS delivery_days,
             CAST(date_diff('second', o.order_purchase_timestamp, o.order_estimated_delivery_date) AS DOUBLE) / 86400 AS estimated_days,
             CAST(o.order_delivered_customer_date AS DATE) > CAST(o.order_estimated_delivery_date AS DATE) AS is_late,
             r.review_score
      FROM landfall_dev_curated.olist_orders AS o
      LEFT JOIN landfall_dev_curated.olist_customers AS c ON c.customer_id = o.customer_id
      LEFT JOIN (SELECT order_id, count(*) AS item_count, sum(price) AS price_total, sum(freight_value) AS freight_total
                 FROM landfall_dev_curated.olist_order_items GROUP BY order_id) AS i ON i.order_id = o.order_id
      LEFT JOIN (SELECT it.order_id, min(se.seller_state) AS seller_state
                 FROM landfall_dev_curated.olist_order_items AS it JOIN landfall_dev_curated.olist_sellers AS se ON se.seller_id = it.seller_id
                 WHERE it.order_item_id = 1 GROUP BY it.order_id) AS s ON s.order_id = o.order_id
      LEFT JOIN (SELECT order_id, avg(CAST(review_score AS DOUBLE)) AS review_score
                 FROM landfall_dev_curated.olist_order_reviews GROUP BY order_id) AS r ON r.order_id = o.order_id
      WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL
    ) AS y WHERE "order_id" IN (SELECT "order_id" FROM affected)
  )
  SELECT a."order_id", r."purchase_date", r."customer_state", r."seller_state", r."item_count", r."price_total", r."freight_total", r."freight_share", r."delivery_days", r."estimated_days", r."is_late", r."review_score", r."order_id" IS NOT NULL AS _present
  FROM affected AS a LEFT JOIN recomputed AS r ON r."order_id" = a."order_id"
) AS s
ON t."order_id" = s."order_id"
WHEN MATCHED AND NOT s._present THEN DELETE
WHEN MATCHED THEN UPDATE SET "purchase_date" = s."purchase_date", "customer_state" = s."customer_state", "seller_state" = s."seller_state", "item_count" = s."item_count", "price_total" = s."price_total", "freight_total" = s."freight_total", "freight_share" = s."freight_share", "delivery_days" = s."delivery_days", "estimated_days" = s."estimated_days", "is_late" = s."is_late", "review_score" = s."review_score"
WHEN NOT MATCHED AND s._present THEN INSERT ("order_id", "purchase_date", "customer_state", "seller_state", "item_count", "price_total", "freight_total", "freight_share", "delivery_days", "estimated_days", "is_late", "review_score") VALUES (s."order_id", s."purchase_date", s."customer_state", s."seller_state", s."item_count", s."price_total", s."freight_total", s."freight_share", s."delivery_days", s."estimated_days", s."is_late", s."review_score");

-- forget:summary.olist_delivery_features__affected
DELETE FROM landfall_dev_summary.olist_delivery_features__affected WHERE _round = 'olist_customers-merge-20261122T060000Z-abc123-r1';

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
