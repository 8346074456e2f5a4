import type { FastifyReply } from 'fastify'

/**
 * Sends a body that is JSON text already (a screening's canonical answer) as it is: fastify passes a string
 * with a JSON content type straight through, past the route's serializer.
 */
export function sendJsonText<R extends FastifyReply>(reply: R, text: string): R {
  return reply.type('application/json; charset=utf-8').send(text) as R
}
