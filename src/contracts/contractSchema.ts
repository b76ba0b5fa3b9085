/**
 * The contract's schema (zod), which validates a contract read from YAML or JSON. Only the loaders import it: the
 * Lambda functions read contracts compiled at build time (compiledContracts.ts) and never load zod.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'must be lower_snake_case (letters, digits, underscores; Athena and Glue identifiers)')
  .max(128);

const singleByte = (what: string) =>
  z.string().refine((s) => s.length === 1 && s.charCodeAt(0) < 128, `${what} must be one ASCII character`);

export const columnTypeSchema = z.union([
  z.enum(['string', 'int32', 'int64', 'float64', 'boolean', 'date', 'timestamp']),
  z.string().regex(/^decimal\(\s*\d{1,2}\s*,\s*\d{1,2}\s*\)$/, 'decimal must be written decimal(precision,scale)'),
]);

const checksSchema = z
  .object({
    allowed: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    pattern: z.string().optional(),
  })
  .strict();

export const columnSchema = z
  .object({
    name: identifier,
    /** Header text in the file when it differs from `name`. */
    header: z.string().optional(),
    /** Earlier or other header texts of the same column (renamed headers): matched too, recorded as renamed. */
    aliases: z.array(z.string()).default([]),
    type: columnTypeSchema,
    nullable: z.boolean().default(true),
    /**
     * date/timestamp input format: iso, epoch_s, epoch_ms, or a pattern such as M/D/YYYY H:mm; or a list of them,
     * tried in order (a file merged from two exports), each one's matches counted in the manifest.
     */
    format: z.union([z.string(), z.array(z.string()).min(1).max(8)]).optional(),
    trim: z.boolean().default(false),
    /** Number columns: a currency symbol written before or after the number (`R$ 1.234,56`, `12,50 €`), dropped. */
    currency: z.string().min(1).max(8).optional(),
    /** float64 and decimal columns: the values are percentages (`12.5%` or `12.5`), stored divided by 100 (0.125). */
    percent: z.boolean().optional(),
    description: z.string().optional(),
    checks: checksSchema.optional(),
  })
  .strict();

const dialectSchema = z
  .object({
    delimiter: singleByte('delimiter').default(','),
    quote: singleByte('quote').default('"'),
    /** Escape character inside quoted fields; the quote itself means RFC 4180 doubled quotes. */
    escape: singleByte('escape').optional(),
    header: z.boolean().default(true),
    /**
     * Lines above the header (a report title, export notes): skipped before anything is read, counted in the
     * manifest as preambleLines. Physical lines, whatever they hold.
     */
    skipLines: z.number().int().min(0).default(0),
    /**
     * Records that make up the header (a spreadsheet's two-row header, the group above the field): their texts
     * are joined per column with a space, an empty cell in an upper row taking the text to its left (a merged
     * cell). The joined names are matched to the columns as a one-row header is.
     */
    headerRows: z.number().int().min(1).default(1),
    /**
     * Lines at the end of the file that are not data (totals, "end of report"): the last footerLines non-empty
     * lines are left out, counted in the manifest as footerLines.
     */
    footerLines: z.number().int().min(0).default(0),
    /**
     * Every record ends with a delimiter (`1,2,3,`): the empty field after it is not a field. A header without it
     * is then as wide as the data.
     */
    trailingDelimiter: z.boolean().default(false),
    /**
     * The header names every field but the first (R's write.csv row names): the first field is the column whose
     * `header` is "" (an empty name).
     */
    rowNames: z.boolean().default(false),
    /** Spaces after a delimiter are not part of the field, so `a, "b, c"` reads as two fields, the second quoted. */
    skipInitialSpace: z.boolean().default(false),
    /** The decimal separator of every number column: `,` as European exports write `1.234,56`. */
    decimalSeparator: z.enum(['.', ',']).default('.'),
    /**
     * A thousands separator in number columns (`.` `,` space or `'`), dropped where it separates groups of three
     * digits of the integer part; anywhere else the value is refused.
     */
    thousandsSeparator: z.enum(['.', ',', ' ', "'"]).optional(),
    /**
     * latin1 is read by the CSV core itself; utf-16le, utf-16be (a spreadsheet's "Unicode text") and windows-1252
     * are transcoded to UTF-8 before it (one sequential pass: no byte ranges).
     */
    encoding: z.enum(['utf-8', 'latin1', 'utf-16le', 'utf-16be', 'windows-1252']).default('utf-8'),
    nullTokens: z.array(z.string()).default(['']),
    /** strip: a UTF-8 byte-order mark at the start of the file is dropped (default). */
    bom: z.enum(['strip', 'keep']).default('strip'),
    /**
     * false (default, as DuckDB): a quote inside an unquoted field is an ordinary character (`12" pipe`).
     * true: such a row is quarantined as stray-quote (strict RFC 4180). Text after a closing quote is always refused.
     */
    strictQuotes: z.boolean().default(false),
    /** Lines starting with this character are skipped (counted in the manifest). */
    comment: singleByte('comment').optional(),
    /** A record larger than this is quarantined, so one broken quote cannot swallow the rest of a file. */
    maxRecordBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
  })
  .strict();

const summaryColumnSchema = z
  .object({
    name: identifier,
    type: columnTypeSchema,
    description: z.string().optional(),
  })
  .strict();

/**
 * A summary table, recomputed for the partitions a batch affects. `sql` is a SELECT over curated tables that
 * yields exactly `columns`; `affected` gives, for each source dataset, a SELECT of the summary keys touched by
 * a batch of that source. In SQL, `${curated}`, `${summary}` and `${batch}` (the batch's raw rows) are replaced.
 */
export const summarySchema = z
  .object({
    name: identifier,
    description: z.string().optional(),
    key: z.array(identifier).min(1),
    columns: z.array(summaryColumnSchema).min(1),
    sql: z.string().min(1),
    affected: z.record(identifier, z.string().min(1)),
    /**
     * Every row of a key comes from rows of `dataset` whose `column` falls on that key's day (a daily summary of
     * clicks by click date). A round that recomputes keys from batches of `dataset` alone then reads
     * `${curated}.<dataset>` only within the days the batches span (partitions pruned), not the whole table; only
     * for a dataset whose rows never move to another day (without a key, or with partitionsStable).
     */
    scope: z
      .object({ dataset: identifier, column: identifier, grain: z.literal('day') })
      .strict()
      .optional(),
  })
  .strict();

/**
 * A chart of a view in `landfall report`: `x` (a date or timestamp column) against one or more measures `y` (one
 * series each, on one axis), an optional measure `y2` on an axis of its own (a line), and optionally `color`: a
 * column whose values are the series, of which the `top` N by total `rankBy` (default: the first `y`) are drawn.
 */
export const chartSchema = z
  .object({
    title: z.string().min(1),
    x: identifier,
    y: z.array(identifier).min(1),
    y2: identifier.optional(),
    mark: z.enum(['line', 'bar']).default('line'),
    color: identifier.optional(),
    top: z.number().int().positive().optional(),
    rankBy: identifier.optional(),
    scale: z.enum(['linear', 'log']).default('linear'),
  })
  .strict()
  .refine((c) => !c.color || c.y.length === 1, { message: 'a chart with color draws one measure (y: [one column])' })
  .refine((c) => (c.top === undefined && c.rankBy === undefined) || c.color, {
    message: 'top and rankBy choose among the series of color: name a color column',
  });

/** A view for Athena and QuickSight users: readable names, typed dates. `${summary}` and `${curated}` are replaced. */
export const viewSchema = z
  .object({
    name: identifier,
    description: z.string().optional(),
    sql: z.string().min(1),
    /** How `landfall report` draws the view; its rows are shown as a table beneath. */
    charts: z.array(chartSchema).default([]),
  })
  .strict();

const durationSchema = z.string().regex(/^\d+(m|h|d)$/, 'must be a duration such as 30m, 6h or 1d');

export const contractSchema = z
  .object({
    dataset: identifier,
    description: z.string().optional(),
    match: z
      .object({
        /** Landing prefix; defaults to `<dataset>/`. */
        prefix: z.string().optional(),
        /** File-name globs (`*` and `?`), matched against the object's base name, `.gz` ignored. */
        patterns: z.array(z.string()).default([]),
      })
      .strict()
      .default({ patterns: [] }),
    dialect: dialectSchema.default(dialectSchema.parse({})),
    columns: z.array(columnSchema).min(1),
    /**
     * A file whose header has columns the contract lacks, or lacks nullable columns it has (schema drift):
     * reject (default) quarantines the file whole; evolve converts it, the missing columns null and the extra
     * ones kept in the raw Parquet as nullable strings (queryable once added to the contract). Either way the
     * manifest records the difference and the pipeline publishes a SchemaDrift metric.
     */
    schemaDrift: z.enum(['reject', 'evolve']).default('reject'),
    key: z.array(identifier).default([]),
    version: identifier.optional(),
    partitionBy: z.array(z.string()).default([]),
    /**
     * The sources of the partition columns never change for a key (say it only when it holds: an export that
     * corrects a date moves the row): a MERGE then looks for a key's stored row only within the range the incoming rows span (from the raw files'
     * statistics), so Athena reads those partitions, not the whole table. Without a key (a row is named by its
     * batch and line, or by all its columns with dedupe: exact) this always holds, and is assumed.
     */
    partitionsStable: z.boolean().default(false),
    /**
     * Without a key, every row is appended (a batch merged again adds nothing: rows are named by batch and line).
     * `exact` collapses identical rows into one instead (a reference list exported with repeats).
     */
    dedupe: z.literal('exact').optional(),
    quality: z
      .object({
        maxRejectRatio: z.number().min(0).max(1).default(0.01),
        /**
         * A batch of fewer records (blank ones not counted) raises no reject alarm on its ratio alone (one bad row
         * of ten is not a trend), unless every record was rejected.
         */
        minRows: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ maxRejectRatio: 0.01, minRows: 0 }),
    refresh: z.object({ expectedEvery: durationSchema }).strict().optional(),
    /**
     * What one landing object may cost, whoever uploaded it: an object larger than maxObjectMB, or a gzip that
     * inflates past maxInflation times its stored size, is kept whole in quarantine with its reason, unconverted.
     */
    limits: z
      .object({ maxObjectMB: z.number().positive().default(102_400), maxInflation: z.number().min(1).default(100) })
      .strict()
      .default({ maxObjectMB: 102_400, maxInflation: 100 }),
    summaries: z.array(summarySchema).default([]),
    views: z.array(viewSchema).default([]),
  })
  .strict();
