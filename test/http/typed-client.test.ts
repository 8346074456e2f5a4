import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectFile } from '../../src/project-files.ts'

/**
 * What an integrator does: generate TypeScript types from openapi/openapi.json with openapi-typescript and
 * code against the problem codes. A correct client compiles; a misspelt code, or a code the operation
 * cannot answer, does not. openapi-typescript runs through its programmatic API: its CLI lints with the
 * project's redocly.yaml and stops at the two 4xx-less health probes that .redocly.lint-ignore.yaml excuses.
 */

const CONFLICT_TYPES = `import type { components, paths } from './api'

type ResolveConflict =
  paths['/v1/reviews/{id}/resolve']['post']['responses'][409]['content']['application/problem+json']
type ScreenConflict = paths['/v1/screenings']['post']['responses'][409]['content']['application/problem+json']
`

const CORRECT = `${CONFLICT_TYPES}
/** The two 409s need opposite handling; the switch is exhaustive, so a third code would not compile. */
export function onResolveConflict(problem: ResolveConflict): 'final' | 'resolve-as-block' {
  switch (problem.code) {
    case 'REVIEW_ALREADY_RESOLVED':
      return 'final'
    case 'BLOCK_LINES_STAND':
      return 'resolve-as-block'
  }
}
export const retryLater = (problem: ScreenConflict): boolean => problem.code === 'IDEMPOTENCY_IN_FLIGHT'
export const anyCode: components['schemas']['ProblemCode'] = 'SERVICE_UNAVAILABLE'
export const unavailable = (
  problem: paths['/v1/screenings']['get']['responses'][503] extends { content: { 'application/problem+json': infer P } }
    ? P
    : never,
): boolean => problem.code === 'SERVICE_UNAVAILABLE'
`

const MISSPELT = `${CONFLICT_TYPES}
export const alreadyResolved = (problem: ResolveConflict): boolean => problem.code === 'REVIEW_ALREADY_RESOLVD'
`

const NOT_THIS_OPERATION = `${CONFLICT_TYPES}
export const inFlight = (problem: ResolveConflict): boolean => problem.code === 'IDEMPOTENCY_IN_FLIGHT'
`

let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'popscreen-client-'))
  const ast = await openapiTS(new URL(`file://${projectFile('openapi', 'openapi.json')}`))
  writeFileSync(join(dir, 'api.ts'), astToString(ast))
  writeFileSync(join(dir, 'correct.ts'), CORRECT)
  writeFileSync(join(dir, 'misspelt.ts'), MISSPELT)
  writeFileSync(join(dir, 'not-this-operation.ts'), NOT_THIS_OPERATION)
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** tsc, the project's own, strict, on the generated types and client files. */
function compile(...files: string[]) {
  const tsc = projectFile('node_modules', 'typescript', 'bin', 'tsc')
  const options = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext']
  const run = spawnSync(
    process.execPath,
    [tsc, ...options, '--moduleResolution', 'bundler', 'api.ts', ...files],
    { encoding: 'utf8', cwd: dir },
  )
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

describe('a TypeScript client generated with openapi-typescript', () => {
  it('compiles when it uses the codes an operation declares', () => {
    const { status, output } = compile('correct.ts')
    expect(output).toBe('')
    expect(status).toBe(0)
  })

  it('does not compile with a misspelt code, nor with a real code its operation cannot answer', () => {
    const { status, output } = compile('misspelt.ts', 'not-this-operation.ts')
    expect(status).not.toBe(0)
    const errors = output.split('\n').filter((line) => /error TS/.test(line))
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(/^misspelt\.ts\(\d+,\d+\): error TS2367: .*"REVIEW_ALREADY_RESOLVD"/)
    expect(errors[1]).toMatch(/^not-this-operation\.ts\(\d+,\d+\): error TS2367: .*"IDEMPOTENCY_IN_FLIGHT"/)
  })
})
