import { chmodSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SYSTEM_ACTOR } from './actor.ts'
import { type KeyService, type KeySummary, newSecret } from './key-service.ts'

export const BOOTSTRAP_KEY_FILE = 'bootstrap-admin.key'

/**
 * The newcomer's first admin key, without stopping the server to run the CLI (the embedded database
 * allows one process): on a start that finds no API key at all, an admin key is made and its secret
 * written to `<dataDir>/bootstrap-admin.key`, readable by its owner only. That directory holds the whole
 * database already, so whoever can read the file could read everything anyway. The file is written
 * before the key exists: a crash in between leaves a secret that matches nothing, and the next start,
 * still finding no key, writes a new one. Returns the key and the file's path, or null when keys exist.
 */
export async function bootstrapAdminKey(
  keys: KeyService,
  dataDir: string,
): Promise<{ key: KeySummary; path: string } | null> {
  if (await keys.any()) return null
  const path = resolve(join(dataDir, BOOTSTRAP_KEY_FILE))
  const secret = newSecret()
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flush: true })
  chmodSync(path, 0o600) // the mode above applies only when the file is new
  const { key } = await keys.create('admin', 'bootstrap', SYSTEM_ACTOR, { secret })
  return { key, path }
}
