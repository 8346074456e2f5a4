import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * One process at a time on a PGlite directory (contract §10): two PGlite instances on the same files each
 * keep their own view and one silently loses the other's writes.
 *
 * A lock file holding the owner's pid and process start time, created atomically with link(2), which fails
 * when the name exists, so a reader never sees a half-written lock. The owner is alive when a process with
 * that pid exists and started at the recorded time (a pid reused after a reboot or a crash does not hold
 * the lock). proper-lockfile was considered: it judges staleness by an mtime the holder refreshes on a
 * timer, which a PGlite process can miss while its single thread runs a long query (a live holder then
 * looks stale), and a restart after `kill -9` would have to wait out the stale period; nor does it say who
 * holds the lock.
 */
export const LOCK_FILE = 'popscreen.lock'
const TAKEOVER_FILE = 'popscreen.lock.takeover'

export interface LockOwner {
  pid: number
  /** Process start time as the OS reports it (Linux: clock ticks after boot, with the boot id), or null. */
  started: string | null
  hostname: string
  command: string
  since: string
}

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another process: pid ${owner.pid} on ${owner.hostname} ` +
        `(${owner.command}), since ${owner.since}. The embedded database allows one process at a time: ` +
        'stop that process first, or use the running server’s API (or DATABASE_URL for a shared PostgreSQL).',
    )
  }
}

let bootId: string | null | undefined
/** A process's start time, so a recycled pid is not mistaken for the owner; null where it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime); the command name in field 2 may hold spaces and parentheses, so count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return `${bootId}:${fields[19]}`
  } catch {
    return null
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true // another machine's process cannot be checked: assume it lives
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  // Same pid: alive unless it is another process that started later than the owner did.
  const started = processStartTime(owner.pid)
  return owner.started === null || started === null || started === owner.started
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** Creates `path` holding `owner`, atomically; false when it exists already. */
function createExclusive(path: string, owner: LockOwner): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temp, `${JSON.stringify(owner)}\n`, { mode: 0o644, flush: true })
  try {
    linkSync(temp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    unlinkSync(temp)
  }
}

const removeIfExists = (path: string) => {
  try {
    unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

const sameOwner = (a: LockOwner | null, b: LockOwner | null) =>
  a !== null && b !== null && a.pid === b.pid && a.started === b.started && a.since === b.since

export interface DataDirLock {
  readonly path: string
  /** Whether a stale lock (its owner died without releasing it) was taken over. */
  readonly tookOver: LockOwner | null
  release(): void
}

/**
 * Takes the lock on `dataDir` or throws `DataDirInUseError` naming the live owner. A stale lock is taken
 * over under a second, short-lived lock file, so two processes that both find the same stale lock cannot
 * both remove it (the second would otherwise delete the first one's fresh lock).
 */
export function lockDataDir(dataDir: string, command = process.argv.slice(1).join(' ')): DataDirLock {
  const path = join(dataDir, LOCK_FILE)
  const takeoverPath = join(dataDir, TAKEOVER_FILE)
  const owner: LockOwner = {
    pid: process.pid,
    started: processStartTime(process.pid),
    hostname: hostname(),
    command: command.slice(0, 200),
    since: new Date().toISOString(),
  }
  let tookOver: LockOwner | null = null
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, owner)) {
      let released = false
      const release = () => {
        if (released) return
        released = true
        process.off('exit', release)
        if (sameOwner(readOwner(path), owner)) removeIfExists(path)
      }
      process.on('exit', release)
      return { path, tookOver, release }
    }
    const holder = readOwner(path)
    if (holder === null) continue // released in between: try again
    if (isAlive(holder)) throw new DataDirInUseError(resolve(dataDir), holder)
    if (createExclusive(takeoverPath, owner)) {
      try {
        // Still the same stale lock under the takeover lock: nobody else can replace it meanwhile.
        if (sameOwner(readOwner(path), holder)) {
          removeIfExists(path)
          tookOver = holder
        }
      } finally {
        removeIfExists(takeoverPath)
      }
      continue
    }
    // Another process is taking over; unless it died doing so, wait for it and look again.
    const taker = readOwner(takeoverPath)
    if (taker && !isAlive(taker) && sameOwner(readOwner(takeoverPath), taker)) removeIfExists(takeoverPath)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
  }
  throw new Error(`could not take the lock ${path}: it kept changing hands`)
}
