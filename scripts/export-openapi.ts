/**
 * Writes the contract artefacts: openapi/openapi.json from the app as it is built in production (on an
 * in-memory database), and the registry document's JSON Schema.
 */
import { writeFileSync } from 'node:fs'
import { buildOpenApiDocument } from './openapi-document.ts'
import { REGISTRY_SCHEMA_PATH, registryDocumentJsonSchema } from './registry-schema.ts'

writeFileSync('openapi/openapi.json', await buildOpenApiDocument())
console.log('wrote openapi/openapi.json')
writeFileSync(REGISTRY_SCHEMA_PATH, registryDocumentJsonSchema())
console.log(`wrote ${REGISTRY_SCHEMA_PATH}`)
