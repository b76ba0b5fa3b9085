import { join } from 'node:path';

/** What a command says when another landfall process holds the warehouse. */
export function waitingFor(root: string): (holder: string) => void {
  return (holder) =>
    process.stderr.write(
      `waiting for the warehouse ${join(root, 'warehouse.duckdb')}: ${holder} holds it (another landfall command); this one goes on when it lets go\n`,
    );
}
