import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    // The slower lanes have commands of their own (README, Tests): npm run test:aws, npm run test:trino.
    exclude: ['tests/awsLane/**', 'tests/trino/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // s3rver answers ListObjectsV2 continuation tokens with 500 unless the legacy OpenSSL provider is loaded (docs/libraries.md).
    execArgv: ['--openssl-legacy-provider'],
  },
});
