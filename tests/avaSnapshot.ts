import { readFileSync } from 'node:fs';

/**
 * Reads an AVA snapshot report (`*.test.js.md`): `## test title`, `> label`, then an indented JS literal in
 * which ␊ and ␍ stand for line breaks inside strings. Returns title -> label -> value.
 */
export function readAvaSnapshots(file: string): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  let title = '';
  let label = '';
  let block: string[] = [];
  const flush = () => {
    if (!label || !block.length) return;
    const text = block.join('\n');
    if (!out.has(title)) out.set(title, new Map());
    // A title used by two tests keeps the first test's values.
    if (!out.get(title)!.has(label)) out.get(title)!.set(label, evaluate(text));
    block = [];
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('## ')) {
      flush();
      title = line.slice(3).trim();
      label = '';
      continue;
    }
    if (line.startsWith('> ')) {
      flush();
      label = line.slice(2).trim();
      continue;
    }
    if (label && (line.startsWith('    ') || (line === '' && block.length))) block.push(line.slice(4));
  }
  flush();
  return out;
}

function evaluate(text: string): unknown {
  // A line ending in ␊ continues the string on the next line, indented like the line that opened it.
  const lines = text.trimEnd().split('\n');
  let src = '';
  let indent = -1;
  for (const line of lines) {
    if (indent >= 0) {
      src += line.slice(indent);
    } else {
      src += line;
    }
    if (/␊$/.test(line)) {
      if (indent < 0) indent = line.length - line.trimStart().length;
      src = src.replace(/␍␊$/, '\\r\\n').replace(/␊$/, '\\n');
    } else {
      indent = -1;
      src += '\n';
    }
  }
  return new Function(`return (${src.replace(/␍/g, '\\r')});`)();
}
