import { continuesChemicalName, extendsNumeral, isCjk } from './name-rules.ts'
import {
  foldPattern,
  isKeptAt,
  isLatinAlnum,
  isNfkcStable,
  needsWholeToken,
  normaliseForMatching,
} from './text.ts'

export interface NamePattern<T> {
  name: string
  value: T
  /**
   * `name` (default): found unless a longer name or an excluded word covers it. `context`: a word that only
   * qualifies other matches; it neither hides nor is hidden by names.
   */
  role?: 'name' | 'context'
}

export interface NameMatch<T> {
  name: string
  value: T
  /** Offsets in the folded text (letters and digits only). */
  start: number
  end: number
}

/** What must surround a Latin end of a pattern: nothing, a word edge, or a word edge or letter/digit change. */
enum Edge {
  None = 0,
  Strict = 1,
  Loose = 2,
}
enum Role {
  Name = 0,
  Context = 1,
  Excluded = 2,
}
interface Compiled<T> {
  folded: string
  left: Edge
  right: Edge
  role: Role
  /** Chinese rules 3 and 4 of name-rules.ts apply at this end. */
  cjkStart: boolean
  cjkEnd: boolean
  pattern: NamePattern<T> | undefined
}

function edgeAt(folded: string, index: number, short: boolean): Edge {
  if (!isLatinAlnum(folded.charCodeAt(index))) return Edge.None
  return short ? Edge.Strict : Edge.Loose
}

/** A pattern's output at a folded end offset, before its token edges are checked. */
interface Candidate {
  id: number
  end: number
}
interface Scan {
  candidates: Candidate[]
  /** Letters and digits scanned: the folded text's length. */
  length: number
}
const NOTHING_FOUND: Scan = { candidates: [], length: 0 }

/** Linear scan beats binary search for the few children most trie nodes have. */
const LINEAR_SCAN_CHILDREN = 8

/**
 * Aho–Corasick automaton over folded names: one pass over the text whatever the number of names, so the
 * cost of a description does not grow with the registry. The trie is built with Maps, then frozen into
 * typed arrays (a dense table for the root, sorted edge lists below it): lookups on the hot path touch no
 * Map and allocate nothing.
 */
export class NameMatcher<T> {
  private readonly patterns: Compiled<T>[] = []
  private readonly outputs: number[][]
  private readonly fail: Int32Array
  private readonly rootNext = new Int32Array(65536)
  private readonly edgeStart: Int32Array
  private readonly edgeCount: Int32Array
  private readonly edgeChar: Uint16Array
  private readonly edgeTarget: Int32Array
  // Folding scratch, reused between calls: find() is synchronous, so no call can see another's state.
  private codes = new Uint16Array(512)
  private separated = new Uint8Array(513)

  /**
   * `excluded`: words that contain or overlap names without meaning them (name-rules.ts); a name inside
   * or across the edge of one is not found.
   */
  constructor(patterns: Iterable<NamePattern<T>>, excluded: Iterable<string> = []) {
    const next: Map<number, number>[] = [new Map()]
    const outputs: number[][] = [[]]
    const all: { name: string; pattern: NamePattern<T> | undefined }[] = []
    for (const pattern of patterns) all.push({ name: pattern.name, pattern })
    for (const name of excluded) all.push({ name, pattern: undefined })
    for (const { name, pattern } of all) {
      const folded = foldPattern(name)
      if (folded.length === 0) continue
      let node = 0
      for (let i = 0; i < folded.length; i++) {
        const c = folded.charCodeAt(i)
        let child = next[node]!.get(c)
        if (child === undefined) {
          child = next.length
          next.push(new Map())
          outputs.push([])
          next[node]!.set(c, child)
        }
        node = child
      }
      outputs[node]!.push(this.patterns.length)
      const short = needsWholeToken(folded)
      const role =
        pattern === undefined ? Role.Excluded : pattern.role === 'context' ? Role.Context : Role.Name
      this.patterns.push({
        folded,
        left: edgeAt(folded, 0, short),
        right: edgeAt(folded, folded.length - 1, short),
        role,
        cjkStart: role === Role.Name && isCjk(folded.charCodeAt(0)),
        cjkEnd: role === Role.Name && isCjk(folded.charCodeAt(folded.length - 1)),
        pattern,
      })
    }

    let edges = 0
    for (const children of next) edges += children.size
    this.edgeStart = new Int32Array(next.length)
    this.edgeCount = new Int32Array(next.length)
    this.edgeChar = new Uint16Array(edges)
    this.edgeTarget = new Int32Array(edges)
    let e = 0
    next.forEach((children, node) => {
      this.edgeStart[node] = e
      this.edgeCount[node] = children.size
      for (const [c, child] of [...children].sort((a, b) => a[0] - b[0])) {
        this.edgeChar[e] = c
        this.edgeTarget[e++] = child
      }
    })
    for (const [c, child] of next[0]!) this.rootNext[c] = child

    // Failure links, breadth first; each node also reports the outputs of its failure chain.
    this.fail = new Int32Array(next.length)
    const queue: number[] = [...next[0]!.values()]
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!
      for (const [c, child] of next[node]!) {
        const target = this.step(this.fail[node]!, c)
        this.fail[child] = target !== child ? target : 0
        outputs[child]!.push(...outputs[this.fail[child]!]!)
        queue.push(child)
      }
    }
    this.outputs = outputs
  }

  /** Names and context words (excluded words not counted). */
  get size(): number {
    return this.patterns.filter((p) => p.role !== Role.Excluded).length
  }

  private child(node: number, c: number): number {
    const start = this.edgeStart[node]!
    const count = this.edgeCount[node]!
    if (count <= LINEAR_SCAN_CHILDREN) {
      for (let e = start; e < start + count; e++) if (this.edgeChar[e] === c) return this.edgeTarget[e]!
      return -1
    }
    let lo = start
    let hi = start + count - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const m = this.edgeChar[mid]!
      if (m === c) return this.edgeTarget[mid]!
      if (m < c) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  private step(node: number, c: number): number {
    for (;;) {
      if (node === 0) return this.rootNext[c]!
      const target = this.child(node, c)
      if (target >= 0) return target
      node = this.fail[node]!
    }
  }

  /**
   * Every name found in `text` (raw; folded while scanning), minus those lying inside a longer match
   * (`氯化石蜡` within `短链氯化石蜡`).
   */
  find(text: string): NameMatch<T>[] {
    // Most descriptions are printable ASCII and CJK ideographs, which NFKC leaves alone: scan them as they
    // are (lower-casing ASCII on the way); anything else is normalised first and scanned again.
    // A scan of normalised text always completes.
    const scan = this.scan(text, true) ?? this.scan(normaliseForMatching(text), false)!
    return scan === NOTHING_FOUND ? [] : this.confirm(scan)
  }

  /** Folds and runs the automaton; undefined if `raw` text holds a character that needs normalising. */
  private scan(source: string, raw: boolean): Scan | undefined {
    if (this.codes.length < source.length) {
      this.codes = new Uint16Array(source.length)
      this.separated = new Uint8Array(source.length + 1)
    }
    const { codes, separated, outputs } = this
    let length = 0
    let pendingSeparator = false
    let node = 0
    // Matches of whole-token names wait for the end of the scan: their right edge depends on what follows.
    let candidates: Candidate[] | undefined
    for (let i = 0; i < source.length; i++) {
      let c = source.charCodeAt(i)
      if (c >= 65 && c <= 90) c += 32
      else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 0x4e00 && c <= 0x9fff))) {
        if (raw && !isNfkcStable(c)) return undefined
        if (raw || !isKeptAt(source, i)) {
          pendingSeparator = true
          continue
        }
      }
      separated[length] = pendingSeparator ? 1 : 0
      pendingSeparator = false
      codes[length++] = c
      node = this.step(node, c)
      const out = outputs[node]!
      for (let k = 0; k < out.length; k++) {
        candidates ??= []
        candidates.push({ id: out[k]!, end: length })
      }
    }
    separated[length] = 1
    return candidates ? { candidates, length } : NOTHING_FOUND
  }

  /** Applies the edge rules of name-rules.ts, then drops names inside longer names or excluded words. */
  private confirm({ candidates, length }: Scan): NameMatch<T>[] {
    const { codes, separated } = this
    const isEdge = (index: number) =>
      index <= 0 ||
      index >= length ||
      separated[index] === 1 ||
      !(isLatinAlnum(codes[index - 1]!) && isLatinAlnum(codes[index]!))
    const isDigit = (c: number) => c >= 48 && c <= 57
    const fits = (edge: Edge, index: number, right: boolean) => {
      if (edge === Edge.None || isEdge(index)) return true
      if (edge === Edge.Strict) return false
      if (isDigit(codes[index - 1]!) !== isDigit(codes[index]!)) return true
      // A plural: `Aroclors`, `chlorinated paraffins`.
      return right && codes[index] === 115 && isEdge(index + 1)
    }
    const found: { compiled: Compiled<T>; start: number; end: number }[] = []
    for (const { id, end } of candidates) {
      const compiled = this.patterns[id]!
      const start = end - compiled.folded.length
      if (!fits(compiled.left, start, false) || !fits(compiled.right, end, true)) continue
      if (
        compiled.cjkEnd &&
        end < length &&
        separated[end] === 0 &&
        continuesChemicalName(codes[end - 1]!, codes[end]!)
      )
        continue
      if (
        compiled.cjkStart &&
        start > 0 &&
        separated[start] === 0 &&
        extendsNumeral(codes[start - 1]!, codes[start]!)
      )
        continue
      found.push({ compiled, start, end })
    }
    const result: NameMatch<T>[] = []
    for (const m of found) {
      const { role, pattern } = m.compiled
      if (role === Role.Excluded) continue
      if (
        role === Role.Name &&
        found.some(
          (o) =>
            o !== m &&
            o.compiled.role !== Role.Context &&
            (o.compiled.role === Role.Excluded
              ? // An excluded word hides a name it overlaps, unless it lies inside the name.
                o.start < m.end && o.end > m.start && !(m.start <= o.start && o.end <= m.end)
              : o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start),
        )
      )
        continue
      result.push({ name: pattern!.name, value: pattern!.value, start: m.start, end: m.end })
    }
    return result
  }
}
