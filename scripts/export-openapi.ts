/** Writes openapi/openapi.json from the app as it is built in production, on an in-memory database. */
import { writeFileSync } from 'node:fs'
import { buildOpenApiDocument } from './openapi-document.ts'

const document = await buildOpenApiDocument()
writeFileSync('openapi/openapi.json', document)
console.log('wrote openapi/openapi.json')
