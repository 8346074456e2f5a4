import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'test/browser/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Each file gets its own database; two at a time suit a 2-core machine.
    maxWorkers: 2,
  },
})
