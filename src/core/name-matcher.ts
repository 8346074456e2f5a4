import { type FoldedText, foldPattern, isTokenEdge, needsWholeToken } from './text.ts'

export interface NamePattern<T> {
  name: string
  value: T
}

export interface NameMatch<T> {
  name: string
  value: T
  start: number
  end: number
}

interface Compiled<T> {
  folded: string
  wholeToken: boolean
  pattern: NamePattern<T>
}

/**
 * Aho–Corasick automaton over folded names: one pass over the text whatever the number of names, so the
 * cost of a description does not grow with the registry.
 */
export class NameMatcher<T> {
  private readonly next: Map<number, number>[] = [new Map()]
  private readonly fail: number[] = [0]
  private readonly outputs: number[][] = [[]]
  private readonly patterns: Compiled<T>[] = []

  constructor(patterns: Iterable<NamePattern<T>>) {
    for (const pattern of patterns) {
      const folded = foldPattern(pattern.name)
      if (folded.length === 0) continue
      this.insert(folded, this.patterns.length)
      this.patterns.push({ folded, wholeToken: needsWholeToken(folded), pattern })
    }
    this.link()
  }

  get size(): number {
    return this.patterns.length
  }

  private insert(folded: string, id: number): void {
    let node = 0
    for (let i = 0; i < folded.length; i++) {
      const c = folded.charCodeAt(i)
      let child = this.next[node]!.get(c)
      if (child === undefined) {
        child = this.next.length
        this.next.push(new Map())
        this.fail.push(0)
        this.outputs.push([])
        this.next[node]!.set(c, child)
      }
      node = child
    }
    this.outputs[node]!.push(id)
  }

  private link(): void {
    const queue: number[] = []
    for (const child of this.next[0]!.values()) queue.push(child)
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!
      for (const [c, child] of this.next[node]!) {
        let f = this.fail[node]!
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!
        const target = this.next[f]!.get(c)
        this.fail[child] = target !== undefined && target !== child ? target : 0
        this.outputs[child]!.push(...this.outputs[this.fail[child]!]!)
        queue.push(child)
      }
    }
  }

  /** Every name found, minus those lying inside a longer match (`氯化石蜡` within `短链氯化石蜡`). */
  find(folded: FoldedText): NameMatch<T>[] {
    const text = folded.text
    let node = 0
    let found: NameMatch<T>[] | undefined
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      while (node !== 0 && !this.next[node]!.has(c)) node = this.fail[node]!
      node = this.next[node]!.get(c) ?? 0
      const out = this.outputs[node]!
      for (let k = 0; k < out.length; k++) {
        const compiled = this.patterns[out[k]!]!
        const end = i + 1
        const start = end - compiled.folded.length
        if (compiled.wholeToken && !(isTokenEdge(folded, start) && isTokenEdge(folded, end))) continue
        found ??= []
        found.push({ name: compiled.pattern.name, value: compiled.pattern.value, start, end })
      }
    }
    if (!found) return []
    return found.filter(
      (m) =>
        !found.some(
          (o) => o !== m && o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start,
        ),
    )
  }
}
