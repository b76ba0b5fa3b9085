-- ddl:raw.olist_category_translation
CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_category_translation (
  product_category_name string,
  product_category_name_english string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
PARTITIONED BY (ingest_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_category_translation/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2025-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_category_translation/ingest_date=${ingest_date}/'
);

-- ddl:curated.olist_category_translation
CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_category_translation (
  product_category_name string,
  product_category_name_english string,
  `_batch_id` string,
  `_source_key` string,
  `_source_line` bigint,
  `_ingested_at` timestamp
)
LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/curated/olist_category_translation/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd');

-- merge:curated.olist_category_translation
MERGE INTO landfall_dev_curated.olist_category_translation AS t
USING (
  SELECT "product_category_name", "product_category_name_english", _batch_id, _source_key, _source_line, CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
  FROM (
    SELECT *, row_number() OVER (PARTITION BY "product_category_name" ORDER BY _ingested_at DESC, _batch_id DESC, _source_line DESC) AS _rn
    FROM (SELECT * FROM landfall_dev_raw.olist_category_translation WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123') AS b
  ) AS d
  WHERE _rn = 1
) AS s
ON t."product_category_name" = s."product_category_name"
WHEN MATCHED THEN UPDATE SET "product_category_name_english" = s."product_category_name_english", "_batch_id" = s."_batch_id", "_source_key" = s."_source_key", "_source_line" = s."_source_line", "_ingested_at" = s."_ingested_at"
WHEN NOT MATCHED THEN INSERT ("product_category_name", "product_category_name_english", "_batch_id", "_source_key", "_source_line", "_ingested_at") VALUES (s."product_category_name", s."product_category_name_english", s."_batch_id", s."_source_key", s."_source_line", s."_ingested_at");
