#!/usr/bin/env node
// The Python tools the tests use (AWS's SAM translator for the IAM test, pyarrow and pandas for the readers test,
// the SAM CLI and cfn-lint for the AWS lane), pinned in .ci/requirements.txt, in .venv/: installed before
// `npm test` when missing or when the requirements changed since (a marker in .venv keeps their text).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requirements = readFileSync(join(root, '.ci/requirements.txt'), 'utf8');
const marker = join(root, '.venv/.landfall-requirements');
if (existsSync(marker) && readFileSync(marker, 'utf8') === requirements) process.exit(0);
process.stderr.write("installing the tests' Python tools into .venv (.ci/requirements.txt; once)\n");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
try {
  if (!existsSync(join(root, '.venv/bin/pip'))) run('python3', ['-m', 'venv', '.venv']);
  run(join(root, '.venv/bin/pip'), ['install', '-q', '--disable-pip-version-check', '-r', '.ci/requirements.txt']);
} catch (err) {
  process.stderr.write(
    `could not install the Python tools (${err.message}): install Python 3.11 with venv and pip, then run npm test again\n`,
  );
  process.exit(1);
}
writeFileSync(marker, requirements);
