import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** The AWS lane (`npm run test:aws`): the real SAM CLI and cfn-lint, installed by .ci/run from .ci/requirements.txt. */
export default defineConfig({
  test: { ...base.test, include: ['tests/awsLane/**/*.test.ts'], exclude: ['**/node_modules/**'] },
});
