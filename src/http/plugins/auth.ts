import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal, Role } from '../../services/actor.ts'
import { AppError } from '../../services/errors.ts'
import type { Caller, KeyService } from '../../services/key-service.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on a /v1 route; every /v1 route must declare them. */
    roles?: readonly Role[]
  }
  interface FastifyRequest {
    principal: Principal | null
    /** The organisation of the caller's key (contract §11); null before authentication. */
    organisation: string | null
  }
  interface FastifyInstance {
    /** Every /v1 route with its roles, as registered: the source of the role matrix tests. */
    protectedRoutes: { method: string; url: string; roles: readonly Role[] }[]
  }
}

export const PROTECTED_PREFIX = '/v1/'

const unauthorized = (detail: string) =>
  new AppError(401, 'UNAUTHORIZED', detail, {
    title: 'Unauthorized',
    headers: { 'www-authenticate': 'Bearer realm="popscreen"' },
  })

/** The authenticated caller; routes behind `roles` can rely on it being set. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('authentication required')
  return request.principal
}

/** The authenticated caller with its key's organisation. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.principal || !request.organisation) throw unauthorized('authentication required')
  return { principal: request.principal, organisation: request.organisation }
}

/** Bearer API keys on every /v1 route; each route's `config.roles` says who may call it. */
export const auth = fp(
  async (
    app: FastifyInstance,
    opts: {
      keys: KeyService
      /** Runs once the caller is known and before its role is checked (the per-key rate limit). */
      afterAuthentication?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    },
  ) => {
    app.decorateRequest('principal', null)
    app.decorateRequest('organisation', null)
    const table: FastifyInstance['protectedRoutes'] = []
    app.decorate('protectedRoutes', table)

    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith(PROTECTED_PREFIX)) return
      const roles = route.config?.roles
      if (!roles || roles.length === 0)
        throw new Error(`route ${route.method} ${route.url} declares no roles`)
      for (const method of [route.method].flat())
        if (method !== 'HEAD') table.push({ method, url: route.url, roles })
      const roleList = roles.join(', ')
      route.schema = {
        ...route.schema,
        security: [{ bearerAuth: [] }],
        description: `${route.schema?.description ?? ''}\n\n**Roles:** ${roleList}`.trim(),
      }
    })

    app.addHook('onRequest', async (request, reply) => {
      const roles = request.routeOptions.config.roles
      if (!roles) return
      const header = request.headers.authorization
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
      if (!match) throw unauthorized('missing Authorization: Bearer <API key>')
      const caller = await opts.keys.identify(match[1]!)
      if (!caller) throw unauthorized('unknown or revoked API key')
      const { principal } = caller
      request.principal = principal
      request.organisation = caller.organisation
      await opts.afterAuthentication?.(request, reply)
      if (principal.role === 'system' || !roles.includes(principal.role))
        throw new AppError(
          403,
          'FORBIDDEN',
          `role ${principal.role} may not call this operation (allowed: ${roles.join(', ')})`,
          {
            title: 'Forbidden',
          },
        )
    })
  },
)
