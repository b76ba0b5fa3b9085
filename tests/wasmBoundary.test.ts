/**
 * The CSV core's boundary is defined once, in wasm/boundary.json: both sides are generated from it and neither
 * spells a code or an offset of its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript build script, without types
import { generate } from '../scripts/gen-boundary.mjs';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

describe('the WASM boundary', () => {
  it('both generated sides are what wasm/boundary.json gives (run node scripts/gen-boundary.mjs after editing it)', () => {
    const files = generate() as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual(['src/decode/wasmBoundary.ts', 'wasm/assembly/boundary.ts']);
    for (const [file, text] of Object.entries(files)) expect(read(file), file).toBe(text);
    // The generator follows the definition: another code gives other files.
    const spec = JSON.parse(read('wasm/boundary.json'));
    spec.reasons['ragged-row'] = 12;
    const changed = generate(spec) as Record<string, string>;
    expect(changed['wasm/assembly/boundary.ts']).toContain('export const R_RAGGED_ROW: i32 = 12;');
    expect(changed['src/decode/wasmBoundary.ts']).toContain("'ragged-row': 12,");
  });

  it('neither side defines codes or layout offsets of its own', () => {
    const core = read('wasm/assembly/csv.ts');
    expect(core.match(/^const (T|R|S|F|K|P|C|RJ|D)_[A-Z0-9_]+\b/gm) ?? []).toEqual([]);
    expect(core).not.toMatch(/^const COL\b/m);
    expect(core).toMatch(/from '\.\/boundary'/);
    const wrapper = read('src/decode/wasmDecoder.ts');
    expect(wrapper.match(/^const (TYPE|STATUS_[A-Z_]+|C_[A-Z_]+|PART_KIND)\b/gm) ?? []).toEqual([]);
    expect(wrapper).not.toMatch(/\* 32\b|o \+ (8|12|16|20|24)\b/);
  });
});
