-- ddl:raw.olist_geolocation
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_geolocation (
  geolocation_zip_code_prefix string,
  geolocation_lat double,
  geolocation_lng double,
  geolocation_city string,
  geolocation_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_geolocation/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_geolocation/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_geolocation
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_geolocation (
  geolocation_zip_code_prefix string,
  geolocation_lat double,
  geolocation_lng double,
  geolocation_city string,
  geolocation_state string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_geolocation/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- merge:curated.olist_geolocation
MERGE INTO landfall_dev_curated.olist_geolocation AS t
USING (
  SELECT "geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city", "geolocation_state", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (
    SELECT *, row_number() OVER (PARTITION BY "geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city", "geolocation_state" ORDER BY _ingested_at DESC, _batch_id DESC, _source_line DESC) AS _rn
    FROM (SELECT * FROM landfall_dev_raw.olist_geolocation WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
  ) AS d
  WHERE _rn = 1
) AS s
ON t."geolocation_zip_code_prefix" IS NOT DISTINCT FROM s."geolocation_zip_code_prefix" AND t."geolocation_lat" IS NOT DISTINCT FROM s."geolocation_lat" AND t."geolocation_lng" IS NOT DISTINCT FROM s."geolocation_lng" AND t."geolocation_city" IS NOT DISTINCT FROM s."geolocation_city" AND t."geolocation_state" IS NOT DISTINCT FROM s."geolocation_state"
WHEN NOT MATCHED THEN INSERT ("geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city", "geolocation_state", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."geolocation_zip_code_prefix", s."geolocation_lat", s."geolocation_lng", s."geolocation_city", s."geolocation_state", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");
