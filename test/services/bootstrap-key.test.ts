import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BOOTSTRAP_KEY_FILE, bootstrapAdminKey } from '../../src/services/bootstrap-key.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

describe('bootstrap admin key', () => {
  let t: TestApp
  let dir: string
  beforeAll(async () => {
    t = await createTestApp()
    dir = mkdtempSync(join(tmpdir(), 'popscreen-bootstrap-'))
  })
  afterAll(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('on a database without keys makes an admin key whose secret only the owner can read', async () => {
    const made = await bootstrapAdminKey(t.runtime.services.keys, dir)
    expect(made).toMatchObject({
      key: { role: 'admin', name: 'bootstrap' },
      path: join(dir, BOOTSTRAP_KEY_FILE),
    })
    expect(statSync(made!.path).mode & 0o777).toBe(0o600)
    const secret = readFileSync(made!.path, 'utf8').trim()
    const res = await t.app.inject({ url: '/v1/keys', headers: { authorization: `Bearer ${secret}` } })
    expect(res.statusCode).toBe(200)
    const events = await t.app.inject({
      url: '/v1/audit/events?format=ndjson&action=key.created',
      headers: { authorization: `Bearer ${secret}` },
    })
    expect(events.body).toContain('"name":"bootstrap"')
  })

  it('does nothing once a key exists', async () => {
    const before = readFileSync(join(dir, BOOTSTRAP_KEY_FILE), 'utf8')
    expect(await bootstrapAdminKey(t.runtime.services.keys, dir)).toBeNull()
    expect(readFileSync(join(dir, BOOTSTRAP_KEY_FILE), 'utf8')).toBe(before)
    expect((await t.runtime.services.keys.list()).filter((k) => k.name === 'bootstrap')).toHaveLength(1)
  })
})
