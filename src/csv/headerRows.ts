/**
 * The column names of a header written over several records (dialect.headerRows), as a person reads them: per
 * column, the texts of each row joined with a space. In every row but the last, an empty cell takes the text to
 * its left (a merged cell spanning the columns below it), until a row above starts a new group.
 *
 *     ,Sales,,Returns,        ->  id, Sales Q1, Sales Q2, Returns Q1, Returns Q2
 *     id,Q1,Q2,Q1,Q2
 */
export function joinHeaderRows(rows: string[][]): string[] {
  if (rows.length === 1) return rows[0];
  const width = Math.max(...rows.map((r) => r.length));
  const filled = rows.map((row, r) => {
    const out: string[] = [];
    let carry = '';
    for (let i = 0; i < width; i++) {
      const text = (row[i] ?? '').trim();
      const groupStarts = rows.slice(0, r).some((above) => (above[i] ?? '').trim() !== '');
      if (text !== '' || groupStarts) carry = text;
      out.push(text !== '' || r === rows.length - 1 ? text : carry);
    }
    return out;
  });
  return Array.from({ length: width }, (_, i) =>
    filled
      .map((row) => row[i])
      .filter((t) => t !== '')
      .join(' '),
  );
}
