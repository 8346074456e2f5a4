import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import type { ZodType } from 'zod'
import { toFieldErrors } from '../core/validation-errors.ts'
import { RequestValidationError } from './plugins/problem-details.ts'

/** zod validation whose failures carry every problem as a JSON pointer, for one 422 problem. */
export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    // Without reportInput zod 4 leaves `input` out, and every wrong type would read as a missing value.
    const result = schema.safeParse(data, { reportInput: true })
    if (result.success) return { value: result.data }
    return { error: new RequestValidationError(toFieldErrors(result.error.issues), httpPart ?? 'body') }
  }

/**
 * Responses are serialised as they are, not validated against their schema on the way out (that cost ~7 %
 * of a 20-line screening's CPU): the schemas describe the answers in OpenAPI, and the HTTP tests check every
 * response they receive against that document (test/helpers/openapi-responses.ts).
 */
export const serializerCompiler: FastifySerializerCompiler<ZodType> = () => (data) => JSON.stringify(data)
