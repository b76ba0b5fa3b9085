/**
 * A dataset contract's types and the helpers every reader of a contract uses. The types are derived from the zod
 * schema (contractSchema.ts), imported as types only: importing this file loads no zod.
 */
import type { z } from 'zod';
import type {
  chartSchema,
  columnSchema,
  columnTypeSchema,
  contractSchema,
  summarySchema,
  viewSchema,
} from './contractSchema.ts';

export type ContractInput = z.input<typeof contractSchema>;
export type Contract = z.output<typeof contractSchema>;
export type Column = z.output<typeof columnSchema>;
export type Dialect = Contract['dialect'];
export type ColumnTypeName = z.output<typeof columnTypeSchema>;
export type Summary = z.output<typeof summarySchema>;
export type Chart = z.output<typeof chartSchema>;
export type View = z.output<typeof viewSchema>;

/** A date or timestamp column's formats, in the order they are tried (iso when none is given). */
export function columnFormats(column: Pick<Column, 'format'>): string[] {
  return column.format === undefined ? ['iso'] : typeof column.format === 'string' ? [column.format] : column.format;
}

/** The formats as a message names them: `iso`, or `iso or M/D/YYYY H:mm`. */
export function describeFormats(column: Pick<Column, 'format'>): string {
  return columnFormats(column).join(' or ');
}

/** Parsed form of a column type; decimal carries its precision and scale. */
export type ColumnType =
  | { kind: 'string' | 'int32' | 'int64' | 'float64' | 'boolean' | 'date' | 'timestamp' }
  | { kind: 'decimal'; precision: number; scale: number };

export function parseColumnType(type: ColumnTypeName): ColumnType {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (m) return { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) };
  return { kind: type as Exclude<ColumnType['kind'], 'decimal'> };
}
