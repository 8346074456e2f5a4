import { z } from 'zod'
import { RegistryDocumentSchema } from '../src/core/registry-document.ts'

export const REGISTRY_SCHEMA_PATH = 'registry/registry-document.schema.json'

/**
 * The registry document format as JSON Schema (draft 2020-12), for editors and other tools. The zod
 * schema stays the authority: cross-field rules (check digits, references, date order) are refinements
 * that JSON Schema cannot express, so a document valid here can still be refused by an import.
 */
export function registryDocumentJsonSchema(): string {
  const schema = z.toJSONSchema(RegistryDocumentSchema, { target: 'draft-2020-12', io: 'input' })
  return `${JSON.stringify(
    {
      ...schema,
      $id: 'https://popscreen.invalid/registry-document.schema.json',
      title: 'popscreen registry document',
      description:
        'One version of the banned-substance registry. Also checked on import: CAS check digits, HS digit formats, unique ids, date order and source references.',
    },
    null,
    2,
  )}\n`
}
