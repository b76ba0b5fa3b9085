-- ddl:raw.retailrocket_category_tree
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.retailrocket_category_tree (
  category_id bigint,
  parent_id bigint,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_category_tree/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_category_tree/ingest_date=${ingest_date}/'
);

-- ddl:curated.retailrocket_category_tree
CREATE TABLE IF NOT EXISTS landfall_dev_curated.retailrocket_category_tree (
  category_id bigint,
  parent_id bigint,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/retailrocket_category_tree/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- merge:curated.retailrocket_category_tree
MERGE INTO landfall_dev_curated.retailrocket_category_tree AS t
USING (
  SELECT "category_id", "parent_id", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (
    SELECT *, row_number() OVER (PARTITION BY "category_id" ORDER BY _ingested_at DESC, _batch_id DESC, _source_line DESC) AS _rn
    FROM (SELECT * FROM landfall_dev_raw.retailrocket_category_tree WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
  ) AS d
  WHERE _rn = 1
) AS s
ON t."category_id" = s."category_id"
WHEN MATCHED THEN UPDATE SET "parent_id" = s."parent_id", "_batch_id" = s."_batch_id", "_source_key" = s."_source_key", "_source_line" = s."_source_line", "_ingested_at" = s."_ingested_at"
WHEN NOT MATCHED THEN INSERT ("category_id", "parent_id", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."category_id", s."parent_id", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");
