import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Each file drives Chromium (and some workerd): one at a time on 2-core machines.
    fileParallelism: false,
  },
});
