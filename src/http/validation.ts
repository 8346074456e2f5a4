import type { FastifySchemaCompiler } from 'fastify'
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
