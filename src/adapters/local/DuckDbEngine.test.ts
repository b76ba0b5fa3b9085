import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from './DuckDbEngine.ts';

describe('the local warehouse', () => {
  it('keeps DuckDB within the memory limit it is given, spilling into the lake folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'landfall-duck-'));
    const engine = await DuckDbEngine.open(root, { memoryMb: 256 });
    try {
      const { rows } = await engine.query(
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t",
      );
      expect(rows[0].t).toBe(join(root, '.duckdb', 'tmp'));
      // 256 MB as DuckDB shows it (in MiB).
      expect(rows[0].m).toMatch(/^24\d\.\d MiB$/);
    } finally {
      await engine.close();
    }
  });
});
