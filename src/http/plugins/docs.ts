import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { projectFile } from '../../project-files.ts'
import { withDecMessageBody } from '../routes/screenings.ts'

const { version } = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }

export const API_DESCRIPTION = `popscreen screens customs declaration lines against the registry of persistent organic
pollutants (POPs) whose import and export China bans, and answers ALLOW, REVIEW or BLOCK with bilingual reasons.

Every /v1 operation needs \`Authorization: Bearer <API key>\`; the roles allowed are listed on each operation.
Errors are RFC 9457 \`application/problem+json\` with a stable \`code\` and the \`requestId\`.`

/** OpenAPI 3.1 from the zod route schemas, served at /openapi.json, with Swagger UI at /docs. */
export const docs = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'popscreen', version, description: API_DESCRIPTION },
      tags: [
        { name: 'screening', description: 'Screen declarations and read past decisions' },
        {
          name: 'reviews',
          description: 'Officer review queue: work REVIEW decisions to a final disposition',
        },
        { name: 'registry', description: 'Banned-substance registry: look-ups, versions, diffs, impact' },
        { name: 'audit', description: 'Tamper-evident audit log: export and verify' },
        { name: 'keys', description: 'API keys (admin)' },
        { name: 'operations', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'API key created with `npm run cli -- keys create`',
          },
        },
      },
    },
    hideUntagged: true,
    transform: (route) => withDecMessageBody(jsonSchemaTransform(route)),
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { persistAuthorization: true, docExpansion: 'list', deepLinking: true },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
})
