import { type FieldError, jsonPointer } from './validation-errors.ts'

// NUL cannot be stored in PostgreSQL text or jsonb, and jsonb refuses lone UTF-16 surrogates; either
// would turn a bad request into a failed audit write. \p{Cs} matches only unpaired surrogates under /u.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this must find
const UNSTORABLE = /[\u0000\p{Cs}]/u

interface Node {
  value: unknown
  key: PropertyKey | null
  parent: Node | null
}

/**
 * Every string (value or key) in a parsed JSON document that the database could not store, as field
 * errors. Walks with an explicit stack and parent links, so hostile nesting costs linear time and cannot
 * overflow the call stack.
 */
export function findUnstorableText(document: unknown, limit = 20): FieldError[] {
  const errors: FieldError[] = []
  const stack: Node[] = [{ value: document, key: null, parent: null }]
  while (stack.length > 0 && errors.length < limit) {
    const node = stack.pop()!
    if (typeof node.value === 'string') {
      if (UNSTORABLE.test(node.value)) errors.push(unstorable(pathOf(node), 'value'))
    } else if (node.value !== null && typeof node.value === 'object') {
      for (const [key, child] of Object.entries(node.value)) {
        const childNode = { value: child, key: Array.isArray(node.value) ? Number(key) : key, parent: node }
        if (UNSTORABLE.test(key)) errors.push(unstorable(pathOf(childNode), 'key'))
        stack.push(childNode)
      }
    }
  }
  return errors
}

function pathOf(node: Node): PropertyKey[] {
  const path: PropertyKey[] = []
  for (let n: Node | null = node; n?.key != null; n = n.parent) path.push(n.key)
  return path.reverse()
}

function unstorable(path: PropertyKey[], what: 'key' | 'value'): FieldError {
  return {
    path: jsonPointer(path),
    code: 'INVALID_CHARACTERS',
    message: `${what} contains a NUL character or an unpaired UTF-16 surrogate`,
  }
}
