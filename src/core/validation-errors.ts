import type { z } from 'zod'

/** One problem in a request, as the contract's `errors[]` carries it. */
export interface FieldError {
  /** JSON pointer into the validated document, e.g. `/lines/2/casNumbers/0`. */
  path: string
  code: string
  message: string
}

export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}

function codeOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'REQUIRED' : 'INVALID_TYPE'
    case 'too_small':
      return 'TOO_SMALL'
    case 'too_big':
      return 'TOO_BIG'
    case 'invalid_format':
      return issue.format === 'date' ? 'INVALID_DATE' : 'INVALID_FORMAT'
    case 'invalid_value':
      return 'INVALID_VALUE'
    case 'custom':
      return String((issue.params as { code?: string } | undefined)?.code ?? 'INVALID')
    default:
      return issue.code.toUpperCase()
  }
}

/** Flattens zod issues into field errors, one per unknown key so each names its own path. */
export function toFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FieldError[] {
  const errors: FieldError[] = []
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        errors.push({
          path: jsonPointer([...prefix, ...issue.path, key]),
          code: 'UNKNOWN_FIELD',
          message: `unknown field "${key}"`,
        })
      continue
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      errors.push(...toFieldErrors(issue.errors[0] ?? [], [...prefix, ...issue.path]))
      continue
    }
    errors.push({
      path: jsonPointer([...prefix, ...issue.path]),
      code: codeOf(issue),
      message: issue.message,
    })
  }
  return errors
}
