/** Server processes for the fault suite and the HTTP benchmark: free ports, keys, start and stop. */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { loadConfig } from '../src/config.ts'
import { projectFile } from '../src/project-files.ts'
import { openRuntime } from '../src/runtime.ts'
import type { Role } from '../src/services/actor.ts'
import { cliActor } from '../src/services/actor.ts'

/** A free port on 127.0.0.1, so a restarted server can take the same address. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Creates API keys straight in the database a server will use, before the server starts. */
export async function createKeys(env: Record<string, string>, roles: Role[]): Promise<Record<Role, string>> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', ...env })
  const runtime = await openRuntime(config)
  try {
    const keys = {} as Record<Role, string>
    for (const role of roles)
      keys[role] = (await runtime.services.keys.create(role, `${role}-faults`, cliActor())).secret
    return keys
  } finally {
    await runtime.close()
  }
}

export interface ServerProcess {
  baseUrl: string
  /** The metrics listener (METRICS_PORT, a free port of its own unless `env` names one). */
  metricsUrl: string
  child: ChildProcess
  /** stderr and stdout of the process, for failure messages. */
  output(): string
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Whether this module runs compiled (`dist/`, as the benches do) or as source under tsx/vitest. */
const RUNNING_COMPILED = import.meta.url.endsWith('.js')

/**
 * What `npm start` and the Docker image give Node (package.json, Dockerfile): a 1 GiB heap limit, far above
 * what any request needs, makes V8 grow the heap by smaller steps between collections (its growth factor
 * scales with the limit), so an export's garbage does not pile up: a quarter's XLSX peaked at 270 MiB
 * without it and 182 MiB with it, for ~5 % more CPU (README "Operations").
 */
export const SERVER_NODE_OPTIONS = ['--max-old-space-size=1024']

/**
 * The environment `npm start` and the Docker image add: glibc's malloc with at most two arenas. Node's
 * helper threads (libuv's pool, V8's collector) otherwise each get an arena of their own, and what an export
 * frees there stays resident: after a half-year CSV export a quarter's XLSX peaked at 194–196 MiB with the
 * default and 181–182 MiB with two arenas (README "Operations").
 */
export const SERVER_ENV = { MALLOC_ARENA_MAX: '2' } as const

/**
 * Starts a server entry (a source path; by default `src/server.ts`, as `npm start` does) as its own process
 * and waits until it is ready. Compiled callers (the benches) start the compiled entry from `dist/`, so what
 * they measure is what `npm start` runs; the fault suite runs from source under tsx.
 */
export async function startServer(
  env: Record<string, string>,
  port: number,
  entry = 'src/server.ts',
  /** Options for Node itself (`--cpu-prof`, which NODE_OPTIONS may not carry). */
  nodeOptions: string[] = [],
): Promise<ServerProcess> {
  // The test runner's DATABASE_URL must not leak in: a PGlite server gets none.
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const args = [
    ...SERVER_NODE_OPTIONS,
    ...nodeOptions,
    ...(RUNNING_COMPILED ? [projectFile('dist', entry.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', entry]),
  ]
  // Several servers run at once in the fault suite: each needs a metrics port of its own too.
  const metricsPort = env.METRICS_PORT ?? String(await freePort())
  const child = spawn(process.execPath, args, {
    env: {
      ...inherited,
      ...SERVER_ENV,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
      METRICS_PORT: metricsPort,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    try {
      const res = await fetch(`${baseUrl}/health/ready`)
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server not ready within 60 s:\n${output}`)
    }
    await sleep(100)
  }
  return {
    baseUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** A new, empty database on the PostgreSQL server `base` points at, and how to drop it again. */
export async function scratchDatabase(
  base: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: base })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await run(`create database ${name}`)
  const url = new URL(base)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) }
}

export type Driver = 'PGlite' | 'PostgreSQL'

/** Where a server process keeps its data: a PGlite directory, or a scratch database on DATABASE_URL. */
export interface ScratchStore {
  env: Record<string, string>
  cleanup(): Promise<void>
}

export async function scratchStore(driver: Driver, name: string): Promise<ScratchStore> {
  if (driver === 'PGlite') {
    const dir = await mkdtemp(join(tmpdir(), `${name}-`))
    return { env: { DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) }
  }
  const base = process.env.DATABASE_URL
  if (!base) throw new Error('PostgreSQL needs DATABASE_URL')
  const db = await scratchDatabase(base, `${name.replaceAll('-', '_')}_${randomBytes(4).toString('hex')}`)
  return { env: { DATABASE_URL: db.url }, cleanup: db.drop }
}
