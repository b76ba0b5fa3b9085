import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The Trino lane (`npm run test:trino`): the Athena SQL on a real Trino server and s3proxy, installed by
 * scripts/trino-install.sh (.ci/run runs it). One file at a time: each starts its own Trino (2 GB heap).
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['tests/trino/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
