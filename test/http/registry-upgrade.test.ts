import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registryVersions } from '../../src/db/schema.ts'
import { SYSTEM_ACTOR } from '../../src/services/actor.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const get = async (url: string) => t.app.inject({ url, headers: await t.auth('admin') })
const events = async (action: string) =>
  (await get(`/v1/audit/events?action=${action}`)).body
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
const versions = async () =>
  ((await get('/v1/registry/versions')).json().items as { version: string; active: boolean }[])
    .map((v) => `${v.version}${v.active ? '*' : ''}`)
    .sort()

describe('bundled registry versions', () => {
  it('a fresh install seeds 2024.1 and 2025.1 and activates 2025.1', async () => {
    expect(await versions()).toEqual(['2024.1', '2025.1*'])
    const imported = await events('registry.imported')
    expect(imported.map((e) => [e.subject.registryVersion, e.payload.seeded, e.payload.active])).toEqual([
      ['2024.1', true, false],
      ['2025.1', true, true],
    ])
    const activated = await events('registry.activated')
    expect(activated.map((e) => [e.subject.registryVersion, e.payload.previous])).toEqual([['2025.1', null]])
  })

  it('an installation upgrading from a release that shipped only 2024.1 gets 2025.1 inactive and keeps 2024.1', async () => {
    const { registry, database } = t.runtime.services
    // The state a previous release left: 2024.1 active, 2025.1 unknown.
    await t.app.inject({
      method: 'POST',
      url: '/v1/registry/versions/2024.1/activate',
      headers: await t.auth('admin'),
    })
    await database.db.delete(registryVersions).where(eq(registryVersions.version, '2025.1'))
    expect(await versions()).toEqual(['2024.1*'])

    await registry.seedBundled(SYSTEM_ACTOR)
    expect(await versions()).toEqual(['2024.1*', '2025.1'])
    expect((await registry.refresh())?.version).toBe('2024.1')
    const last = (await events('registry.imported')).at(-1)
    expect(last).toMatchObject({
      subject: { registryVersion: '2025.1' },
      payload: { seeded: true, upgrade: true, active: false, keptActive: '2024.1' },
    })
    expect(last.payload.note).toMatch(/imported inactive: 2024.1 stays active/)

    // Starting again changes nothing; an admin activates 2025.1 when the diff and impact are read.
    await registry.seedBundled(SYSTEM_ACTOR)
    expect((await events('registry.imported')).length).toBe(3)
    const diff = (await get('/v1/registry/versions/2025.1/diff?against=2024.1')).json()
    expect(diff.measures.added).toContainEqual(
      expect.stringMatching(/^lindane\/ban\/.*2014-03-26\.\.2019-03-25$/),
    )
    expect((await get('/v1/registry/versions/2025.1/impact')).statusCode).toBe(200)
  })
})
