-- ddl:raw.retailrocket_events
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.retailrocket_events (
  event_time timestamp,
  visitor_id bigint,
  event string,
  item_id bigint,
  transaction_id bigint,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_events/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_events/ingest_date=${ingest_date}/'
);

-- ddl:curated.retailrocket_events
CREATE TABLE IF NOT EXISTS landfall_dev_curated.retailrocket_events (
  event_time timestamp,
  visitor_id bigint,
  event string,
  item_id bigint,
  transaction_id bigint,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (day(event_time))
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/retailrocket_events/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:summary.retailrocket_funnel_daily
CREATE TABLE IF NOT EXISTS landfall_dev_summary.retailrocket_funnel_daily (
  event_date date,
  visitors bigint,
  views bigint,
  add_to_carts bigint,
  transactions bigint,
  view_to_transaction_rate double
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/retailrocket_funnel_daily/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- merge:curated.retailrocket_events
MERGE INTO landfall_dev_curated.retailrocket_events AS t
USING (
  SELECT "event_time", "visitor_id", "event", "item_id", "transaction_id", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (SELECT * FROM landfall_dev_raw.retailrocket_events WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
) AS s
ON t."_batch_id" = s."_batch_id" AND t."_source_line" = s."_source_line"
WHEN NOT MATCHED THEN INSERT ("event_time", "visitor_id", "event", "item_id", "transaction_id", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."event_time", s."visitor_id", s."event", s."item_id", s."transaction_id", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");

-- summary:summary.retailrocket_funnel_daily
MERGE INTO landfall_dev_summary.retailrocket_funnel_daily AS t
USING (
  WITH affected AS (
    SELECT DISTINCT "event_date" FROM (
      SELECT CAST(event_time AS DATE) AS event_date FROM (SELECT * FROM landfall_dev_raw.retailrocket_events WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
    ) AS x
  ),
  recomputed AS (
    SELECT * FROM (
      SELECT CAST(event_time AS DATE) AS event_date,
             count(DISTINCT visitor_id) AS visitors,
             sum(CASE WHEN event = 'view' THEN 1 ELSE 0 END) AS views,
             sum(CASE WHEN event = 'addtocart' THEN 1 ELSE 0 END) AS add_to_carts,
             sum(CASE WHEN event = 'transaction' THEN 1 ELSE 0 END) AS transactions,
             CASE WHEN sum(CASE WHEN event = 'view' THEN 1 ELSE 0 END) > 0
                  THEN CAST(sum(CASE WHEN event = 'transaction' THEN 1 ELSE 0 END) AS DOUBLE) / sum(CASE WHEN event = 'view' THEN 1 ELSE 0 END) END
               AS view_to_transaction_rate
      FROM landfall_dev_curated.retailrocket_events
      GROUP BY CAST(event_time AS DATE)
    ) AS y WHERE "event_date" IN (SELECT "event_date" FROM affected)
  )
  SELECT a."event_date", r."visitors", r."views", r."add_to_carts", r."transactions", r."view_to_transaction_rate", r."event_date" IS NOT NULL AS _present
  FROM affected AS a LEFT JOIN recomputed AS r ON r."event_date" = a."event_date"
) AS s
ON t."event_date" = s."event_date"
WHEN MATCHED AND NOT s._present THEN DELETE
WHEN MATCHED THEN UPDATE SET "visitors" = s."visitors", "views" = s."views", "add_to_carts" = s."add_to_carts", "transactions" = s."transactions", "view_to_transaction_rate" = s."view_to_transaction_rate"
WHEN NOT MATCHED AND s._present THEN INSERT ("event_date", "visitors", "views", "add_to_carts", "transactions", "view_to_transaction_rate") VALUES (s."event_date", s."visitors", s."views", s."add_to_carts", s."transactions", s."view_to_transaction_rate");

-- view:analytics.retailrocket_funnel_daily
CREATE OR REPLACE VIEW landfall_dev_analytics.retailrocket_funnel_daily AS
SELECT event_date, visitors, views, add_to_carts, transactions,
       round(100 * view_to_transaction_rate, 3) AS view_to_transaction_pct
FROM landfall_dev_summary.retailrocket_funnel_daily;
