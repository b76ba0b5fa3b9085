-- ddl:raw.ad_clicks
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.ad_clicks (
  ip bigint,
  app int,
  device int,
  os int,
  channel int,
  click_time timestamp,
  attributed_time timestamp,
  is_attributed int,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/ad_clicks/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/ad_clicks/ingest_date=${ingest_date}/'
);

-- ddl:curated.ad_clicks
CREATE TABLE IF NOT EXISTS landfall_dev_curated.ad_clicks (
  ip bigint,
  app int,
  device int,
  os int,
  channel int,
  click_time timestamp,
  attributed_time timestamp,
  is_attributed int,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (day(click_time))
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/ad_clicks/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- ddl:summary.ad_clicks_daily
CREATE TABLE IF NOT EXISTS landfall_dev_summary.ad_clicks_daily (
  click_date date,
  channel int,
  clicks bigint,
  installs bigint,
  install_rate double
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/summary/ad_clicks_daily/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- merge:curated.ad_clicks
MERGE INTO landfall_dev_curated.ad_clicks AS t
USING (
  SELECT "ip", "app", "device", "os", "channel", "click_time", "attributed_time", "is_attributed", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (SELECT * FROM landfall_dev_raw.ad_clicks WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
) AS s
ON t."_batch_id" = s."_batch_id" AND t."_source_line" = s."_source_line"
WHEN NOT MATCHED THEN INSERT ("ip", "app", "device", "os", "channel", "click_time", "attributed_time", "is_attributed", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."ip", s."app", s."device", s."os", s."channel", s."click_time", s."attributed_time", s."is_attributed", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");

-- summary:summary.ad_clicks_daily
MERGE INTO landfall_dev_summary.ad_clicks_daily AS t
USING (
  WITH affected AS (
    SELECT DISTINCT "click_date", "channel" FROM (
      SELECT CAST(click_time AS DATE) AS click_date, channel FROM (SELECT * FROM landfall_dev_raw.ad_clicks WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
    ) AS x
  ),
  recomputed AS (
    SELECT * FROM (
      SELECT CAST(click_time AS DATE) AS click_date,
             channel,
             count(*) AS clicks,
             sum(CASE WHEN is_attributed = 1 THEN 1 ELSE 0 END) AS installs,
             CAST(sum(CASE WHEN is_attributed = 1 THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS install_rate
      FROM landfall_dev_curated.ad_clicks
      GROUP BY CAST(click_time AS DATE), channel
    ) AS y WHERE ("click_date", "channel") IN (SELECT "click_date", "channel" FROM affected)
  )
  SELECT a."click_date", a."channel", r."clicks", r."installs", r."install_rate", r."click_date" IS NOT NULL AS _present
  FROM affected AS a LEFT JOIN recomputed AS r ON r."click_date" = a."click_date" AND r."channel" = a."channel"
) AS s
ON t."click_date" = s."click_date" AND t."channel" = s."channel"
WHEN MATCHED AND NOT s._present THEN DELETE
WHEN MATCHED THEN UPDATE SET "clicks" = s."clicks", "installs" = s."installs", "install_rate" = s."install_rate"
WHEN NOT MATCHED AND s._present THEN INSERT ("click_date", "channel", "clicks", "installs", "install_rate") VALUES (s."click_date", s."channel", s."clicks", s."installs", s."install_rate");

-- view:analytics.ad_clicks_daily
CREATE OR REPLACE VIEW landfall_dev_analytics.ad_clicks_daily AS
SELECT click_date, channel, clicks, installs, round(100 * install_rate, 3) AS install_rate_pct
FROM landfall_dev_summary.ad_clicks_daily;
