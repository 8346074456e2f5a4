import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The checkout's root (the folder with package.json), found from this module whether it runs as source
 * (`src/`) or compiled (`dist/src/`), so data files resolve the same way in both.
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('popscreen: package.json not found above the running module')
    dir = parent
  }
  return dir
}

export const PROJECT_ROOT = findProjectRoot()

/** A path inside the checkout: `projectFile('registry', 'hs2022.csv')`. */
export function projectFile(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments)
}
