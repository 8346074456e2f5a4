import { readFileSync } from 'node:fs'
import { type RegistryDocument, RegistryDocumentSchema } from '../../src/core/registry-document.ts'
import { buildSnapshot, type RegistrySnapshot } from '../../src/core/snapshot.ts'

export function seedDocument(): RegistryDocument {
  return RegistryDocumentSchema.parse(JSON.parse(readFileSync('registry/versions/2024.1.json', 'utf8')))
}

let cached: RegistrySnapshot | undefined
export function seedSnapshot(): RegistrySnapshot {
  cached ??= buildSnapshot(seedDocument(), 'sha256:test')
  return cached
}
