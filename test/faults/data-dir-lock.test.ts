/** Contract §10 with real processes: one process at a time on a PGlite DATA_DIR. */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createKeys,
  freePort,
  type ScratchStore,
  type ServerProcess,
  scratchStore,
  startServer,
} from '../../scripts/server-process.ts'
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts'
import { BOOTSTRAP_KEY_FILE } from '../../src/services/bootstrap-key.ts'
import { oneLine, waitUntil } from './load.ts'

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

/** Starts a source entry (the CLI or the server) on `env` and collects its output. */
function run(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<Finished> } {
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...inherited, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }))
  return { child, done }
}

const cli = (env: Record<string, string>, ...args: string[]) => run(['src/cli/main.ts', ...args], env)
const createAdmin = (env: Record<string, string>, name: string) =>
  cli(env, 'keys', 'create', '--role', 'admin', '--name', name)

const lockPid = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid as number

function expectRefused(result: Finished, dir: string, holderPid: number) {
  expect(result.code, result.stderr).toBe(1)
  expect(result.stderr).toContain(`DATA_DIR ${dir} is in use by another process: pid ${holderPid}`)
  expect(result.stdout).not.toMatch(/created key/)
}

describe('one process per PGlite DATA_DIR', () => {
  let store: ScratchStore
  let dir: string
  let server: ServerProcess | undefined
  beforeEach(async () => {
    store = await scratchStore('PGlite', 'popscreen-lock')
    dir = store.env.DATA_DIR!
  })
  afterEach(async () => {
    await server?.stop('SIGKILL')
    server = undefined
    await store.cleanup()
  })

  it('server + CLI: the CLI stops with exit 1 naming the server, and no key is reported created', async () => {
    const keys = await createKeys(store.env, ['auditor'])
    server = await startServer(store.env, await freePort())
    const result = await createAdmin(store.env, 'beside-the-server').done
    expectRefused(result, dir, server.child.pid!)
    const list = await fetch(`${server.baseUrl}/v1/audit/events?format=ndjson&action=key.created`, {
      headers: { authorization: `Bearer ${keys.auditor}` },
    })
    expect(await list.text()).not.toContain('beside-the-server')
    expect(await server.stop()).toBe(0)
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
  })

  it('CLI + CLI: a second CLI stops while the first holds the directory; the first completes', async () => {
    const first = createAdmin(store.env, 'first')
    await waitUntil(() => existsSync(join(dir, LOCK_FILE)) && lockPid(dir) === first.child.pid, 60_000)
    // Frozen while it holds the lock, so the second one certainly meets a live holder.
    first.child.kill('SIGSTOP')
    try {
      expectRefused(await createAdmin(store.env, 'second').done, dir, first.child.pid!)
    } finally {
      first.child.kill('SIGCONT')
    }
    const done = await first.done
    expect(done.code, done.stderr).toBe(0)
    expect(done.stdout).toMatch(/created key .* \(admin, first\)/)
    const list = await cli(store.env, 'keys', 'list').done
    expect(list.stdout).toContain('first')
    expect(list.stdout).not.toContain('second')
  })

  it('server + server: the second server exits with 1 naming the first; the first keeps serving', async () => {
    const keys = await createKeys(store.env, ['screener'])
    server = await startServer(store.env, await freePort())
    const second = await run(['src/server.ts'], { ...store.env, PORT: String(await freePort()) }).done
    expectRefused(second, dir, server.child.pid!)
    const res = await fetch(`${server.baseUrl}/v1/screenings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.screener}`, 'content-type': 'application/json' },
      body: JSON.stringify(oneLine(1)),
    })
    expect(res.status).toBe(200)
  })

  it('restart after kill -9: the stale lock is taken over and the data is all there', async () => {
    const keys = await createKeys(store.env, ['screener', 'auditor'])
    const port = await freePort()
    server = await startServer(store.env, port)
    const killedPid = server.child.pid!
    const res = await fetch(`${server.baseUrl}/v1/screenings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.screener}`, 'content-type': 'application/json' },
      body: JSON.stringify(oneLine(7)),
    })
    expect(res.status).toBe(200)
    const { screeningId } = (await res.json()) as { screeningId: string }
    server.child.kill('SIGKILL')
    await server.exited
    expect(lockPid(dir)).toBe(killedPid)
    await sleep(50)
    server = await startServer(store.env, port)
    expect(lockPid(dir)).toBe(server.child.pid)
    const stored = await fetch(`${server.baseUrl}/v1/screenings/${screeningId}`, {
      headers: { authorization: `Bearer ${keys.auditor}` },
    })
    expect(stored.status).toBe(200)
    const verify = await fetch(`${server.baseUrl}/v1/audit/verify`, {
      headers: { authorization: `Bearer ${keys.auditor}` },
    })
    expect(await verify.json()).toMatchObject({ ok: true })
  })
})

describe('the newcomer path (README quick start)', () => {
  let store: ScratchStore
  let server: ServerProcess | undefined
  afterEach(async () => {
    await server?.stop('SIGKILL')
    server = undefined
    await store.cleanup()
  })

  it('the first start of an empty DATA_DIR writes an admin key the running server accepts; later starts do not', async () => {
    store = await scratchStore('PGlite', 'popscreen-newcomer')
    const file = join(store.env.DATA_DIR!, BOOTSTRAP_KEY_FILE)
    const port = await freePort()
    server = await startServer(store.env, port)
    expect(server.output()).toContain(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const secret = readFileSync(file, 'utf8').trim()
    const made = await fetch(`${server.baseUrl}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'screener', name: 'customs' }),
    })
    expect(made.status).toBe(201)
    expect(await server.stop()).toBe(0)
    server = await startServer(store.env, port)
    expect(server.output()).not.toContain(BOOTSTRAP_KEY_FILE)
    const keys = await fetch(`${server.baseUrl}/v1/keys`, { headers: { authorization: `Bearer ${secret}` } })
    const names = ((await keys.json()) as { items: { name: string }[] }).items.map((k) => k.name)
    expect(names.sort()).toEqual(['bootstrap', 'customs'])
  })
})
