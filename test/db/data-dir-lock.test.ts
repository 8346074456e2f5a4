import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DataDirInUseError,
  LOCK_FILE,
  type LockOwner,
  lockDataDir,
  processStartTime,
} from '../../src/db/data-dir-lock.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'popscreen-lock-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const writeOwner = (owner: Partial<LockOwner>) =>
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({
      pid: 1,
      started: null,
      hostname: hostname(),
      command: 'a crashed server',
      since: '2026-01-01T00:00:00.000Z',
      ...owner,
    }),
  )

/** The pid of a process that has exited (no process has it now, barring immediate reuse). */
const deadPid = () => spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })

describe('DATA_DIR lock', () => {
  it('refuses a second holder, naming the directory and the holding process, until released', () => {
    const lock = lockDataDir(dir, 'first holder')
    let refused: unknown
    try {
      lockDataDir(dir, 'second')
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(DataDirInUseError)
    expect((refused as Error).message).toContain(dir)
    expect((refused as Error).message).toContain(`pid ${process.pid}`)
    expect((refused as Error).message).toContain('first holder')
    lock.release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
    const again = lockDataDir(dir)
    expect(again.tookOver).toBeNull()
    again.release()
  })

  it('takes over the lock of a process that died without releasing it', () => {
    const pid = Number(deadPid().stdout.trim())
    writeOwner({ pid, started: 'boot:1' })
    const lock = lockDataDir(dir)
    expect(lock.tookOver).toMatchObject({ pid, command: 'a crashed server' })
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid })
    lock.release()
  })

  it('takes over a lock whose pid now belongs to another process (started at another time)', () => {
    writeOwner({ pid: process.pid, started: 'another-boot:12345' })
    const lock = lockDataDir(dir)
    expect(lock.tookOver).toMatchObject({ pid: process.pid, started: 'another-boot:12345' })
    lock.release()
  })

  it('holds against a live process recorded with its real start time', () => {
    writeOwner({ pid: process.ppid, started: processStartTime(process.ppid), command: 'the parent' })
    expect(() => lockDataDir(dir)).toThrow(/in use by another process: pid \d+ .*the parent/)
  })

  it('does not release a lock another process took over meanwhile', () => {
    const lock = lockDataDir(dir)
    writeOwner({ pid: process.ppid, started: processStartTime(process.ppid) })
    lock.release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true)
  })
})
