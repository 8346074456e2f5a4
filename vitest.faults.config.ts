import { defineConfig } from 'vitest/config'

// The fault suite starts real server processes and loads them; one file at a time keeps it deterministic.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
})
