import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AuditEventBody,
  ChainVerifier,
  hashEvent,
  hashEventWithPayload,
  sealEvents,
} from '../../src/core/audit-chain.ts'
import { canonicalJson, canonicalObject } from '../../src/core/canonical-json.ts'

const jsonValue = fc.jsonValue({ maxDepth: 4 })
const text = fc.string({ unit: 'grapheme', maxLength: 20 })
const body: fc.Arbitrary<AuditEventBody> = fc.record({
  sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  action: fc.constantFrom('screening.created', 'review.resolved', 'registry.imported', 'key.created'),
  actor: fc.record({ keyId: fc.option(fc.uuid(), { nil: null }), name: text, role: text }),
  subject: fc.dictionary(text, text, { maxKeys: 4 }),
  decision: fc.option(fc.constantFrom('ALLOW', 'REVIEW', 'BLOCK'), { nil: null }),
  registryVersion: fc.option(text, { nil: null }),
  requestId: fc.option(text, { nil: null }),
  payload: fc.oneof(
    jsonValue,
    fc.dictionary(fc.constantFrom('1', '10', '2', 'a', 'B', 'é', '中', '😀'), jsonValue),
  ),
  prevHash: fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
})

describe('audit chain hashing', () => {
  it('hashing with a pre-canonicalised payload equals hashing the whole event', () => {
    // The definition: sha256(prevHash + RFC 8785 JSON of the whole event), by the library, member order and all.
    const specified = (b: AuditEventBody) =>
      `sha256:${createHash('sha256').update(b.prevHash).update(canonicalJson(b)).digest('hex')}`
    fc.assert(
      fc.property(body, (b) => {
        expect(hashEventWithPayload(b, canonicalJson(b.payload))).toBe(specified(b))
        expect(hashEvent(b)).toBe(specified(b))
      }),
      { numRuns: 2_000 },
    )
  })

  it('an object built from canonical members is the canonical JSON of the object', () => {
    // Keys that sort differently by code unit than by code point or locale, and the screening payload's own.
    const key = fc.constantFrom('request', 'response', 'a', 'B', '10', '2', 'é', '中', '😀', '\uffff', '')
    fc.assert(
      fc.property(fc.dictionary(key, jsonValue, { maxKeys: 8 }), (object) => {
        const members = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, canonicalJson(v)]))
        expect(canonicalObject(members)).toBe(canonicalJson(object))
      }),
      { numRuns: 2_000 },
    )
  })

  it('any change to any member changes the hash', () => {
    fc.assert(
      fc.property(
        body,
        fc.constantFrom<keyof AuditEventBody>('sequence', 'at', 'actor', 'payload', 'prevHash'),
        (b, key) => {
          const changed = {
            ...b,
            [key]:
              key === 'sequence'
                ? b.sequence + 1
                : key === 'at'
                  ? `${b.at} `
                  : key === 'prevHash'
                    ? `${b.prevHash}0`
                    : { was: b[key] },
          }
          expect(hashEvent(changed as AuditEventBody)).not.toBe(hashEvent(b))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('verifies a payload given as stored text, canonical or in another spelling of the same value', () => {
    const actor = { keyId: null, name: 'cli', role: 'admin' }
    const [event] = sealEvents(
      [{ action: 'key.created', actor, subject: { keyId: 'k' }, payload: { b: [1, 2.5], a: '中' } }],
      null,
      '2026-01-01T00:00:00.000Z',
    )
    const verify = (text: string) => new ChainVerifier(null).push({ ...event!, payload: undefined }, text)
    expect(verify('{"a":"中","b":[1,2.5]}')).toBe(true) // canonical: hashed as it is
    expect(verify('{ "b": [1, 2.50], "a": "\\u4e2d" }')).toBe(true) // the same value, spelled otherwise
    expect(verify('{"a":"中","b":[1,2.6]}')).toBe(false)
    expect(verify('{"a":"中","b":[1,2.5],"c":null}')).toBe(false)
  })
})

describe('chain start', () => {
  const actor = { keyId: null, name: 'cli', role: 'admin' }
  const events = sealEvents(
    [1, 2, 3].map((n) => ({
      action: 'key.created' as const,
      actor,
      subject: { keyId: `k${n}` },
      payload: { n },
    })),
    null,
    '2026-01-01T00:00:00.000Z',
  )
  const verify = (start: ConstructorParameters<typeof ChainVerifier>[0], from: number) => {
    const verifier = new ChainVerifier(start)
    for (const e of events.slice(from)) verifier.push(e)
    return verifier.verdict()
  }

  it('without a start, a chain must begin at sequence 1 from the genesis hash', () => {
    expect(verify(null, 0)).toMatchObject({ ok: true, checked: 3 })
    expect(verify(null, 1)).toMatchObject({
      ok: false,
      firstBrokenSequence: 2,
      reason: expect.stringMatching(/starts at sequence 2, not at sequence 1 from the genesis hash/),
    })
  })

  it('with a trusted start, it continues from it, and only from it', () => {
    expect(verify({ sequence: 1, hash: events[0]!.hash }, 1)).toMatchObject({ ok: true, checked: 2 })
    expect(verify({ sequence: 1, hash: events[1]!.hash }, 1)).toMatchObject({
      ok: false,
      firstBrokenSequence: 2,
    })
  })
})
