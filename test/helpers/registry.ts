import { readFileSync } from 'node:fs'
import { type RegistryDocument, RegistryDocumentSchema } from '../../src/core/registry-document.ts'
import { buildSnapshot, type RegistrySnapshot } from '../../src/core/snapshot.ts'
import { CURRENT_VERSION } from '../../src/services/registry-service.ts'

/** A bundled registry version as the service parses it; by default the one a fresh install activates. */
export function seedDocument(version: string = CURRENT_VERSION): RegistryDocument {
  return RegistryDocumentSchema.parse(JSON.parse(readFileSync(`registry/versions/${version}.json`, 'utf8')))
}

const cached = new Map<string, RegistrySnapshot>()
export function seedSnapshot(version: string = CURRENT_VERSION): RegistrySnapshot {
  let snapshot = cached.get(version)
  if (!snapshot) {
    snapshot = buildSnapshot(seedDocument(version), 'sha256:test')
    cached.set(version, snapshot)
  }
  return snapshot
}
