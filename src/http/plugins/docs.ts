import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { OpenAPIV3_1 } from 'openapi-types'
import { projectFile } from '../../project-files.ts'
import { finishDocument } from '../docs/finish-document.ts'
import { withDecMessageBody } from '../routes/screenings.ts'

const { version } = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }

const UI_DIR = ['src', 'http', 'docs', 'ui']

/**
 * @fastify/swagger-ui writes functions in uiConfig into the page as their source text; this one's text is
 * the name of a global of the page (Swagger UI's own, or one a theme script defines), so the plugin's code
 * lives in a plain browser script rather than being rebuilt from compiled TypeScript.
 */
const pageGlobal = (name: string) => Object.assign((_system: unknown) => ({}), { toString: () => name })

/** OpenAPI 3.1 from the zod route schemas, served at /openapi.json, with Swagger UI at /docs. */
export const docs = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'popscreen', version },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              '粘贴管理员发给您的 API 密钥（不加 “Bearer”）· the API key (`npm run --silent cli -- keys create` or `POST /v1/keys`), without “Bearer”',
          },
        },
      },
    },
    hideUntagged: true,
    transform: (route) => withDecMessageBody(jsonSchemaTransform(route)),
    transformObject: (document) =>
      finishDocument(jsonSchemaTransformObject(document) as OpenAPIV3_1.Document),
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    theme: {
      title: 'popscreen · 持久性有机污染物进出口筛查',
      js: [
        {
          filename: 'session-auth.js',
          content: readFileSync(projectFile(...UI_DIR, 'session-auth.js'), 'utf8'),
        },
      ],
    },
    uiConfig: {
      // The key is remembered per tab by PopscreenSessionAuth, not in localStorage (issue #22).
      persistAuthorization: false,
      displayRequestDuration: true,
      docExpansion: 'list',
      filter: true,
      deepLinking: true,
      // The schema list at the bottom is a wall of JSON for an officer; each operation shows its own.
      defaultModelsExpandDepth: -1,
      // No top bar with a field to load another document: the page is popscreen's API only.
      layout: 'BaseLayout',
      plugins: [pageGlobal('SwaggerUIBundle.plugins.DownloadUrl'), pageGlobal('PopscreenSessionAuth')],
    },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
})
