/** The stored prefixes of one code, longest first: what `HsPrefixIndex.prefixesOf` answers. */
export interface PrefixHits<T> {
  length: number
  hits: readonly T[]
}

/**
 * HS prefixes (2 to 13 digits) in a trie of digits: one walk down a declared code finds every stored prefix
 * of it, with no substring or hash per candidate length.
 */
export class HsPrefixIndex<T> {
  /** Ten child slots per node; 0 = none (the root is never a child). */
  private readonly children: Int32Array
  /** Per node: the stored prefixes on the path to it, longest first (shared with ancestors when equal). */
  private readonly chains: readonly PrefixHits<T>[][]
  /** Per node: the stored prefixes strictly below it, shortest first (most nodes share the empty list). */
  private readonly below: readonly PrefixHits<T>[][]

  constructor(entries: Iterable<readonly [prefix: string, value: T]>) {
    const children: number[] = new Array(10).fill(0)
    const hits: (T[] | undefined)[] = [undefined]
    for (const [prefix, value] of entries) {
      let node = 0
      if (!/^\d+$/.test(prefix))
        throw new RangeError(`HS prefix ${JSON.stringify(prefix)} is not plain digits`)
      for (let i = 0; i < prefix.length; i++) {
        const slot = node * 10 + prefix.charCodeAt(i) - 48
        let child = children[slot]!
        if (child === 0) {
          child = hits.length
          hits.push(undefined)
          for (let d = 0; d < 10; d++) children.push(0)
          children[slot] = child
        }
        node = child
      }
      const list = hits[node]
      if (list) list.push(value)
      else hits[node] = [value]
    }
    this.children = Int32Array.from(children)
    // Parents precede their children in node order, so one pass builds every chain from its parent's.
    const chains: PrefixHits<T>[][] = [[]]
    const depth = [0]
    for (let node = 0; node < hits.length; node++)
      for (let d = 0; d < 10; d++) {
        const child = children[node * 10 + d]!
        if (child === 0) continue
        depth[child] = depth[node]! + 1
        const own = hits[child]
        chains[child] = own ? [{ length: depth[child]!, hits: own }, ...chains[node]!] : chains[node]!
      }
    this.chains = chains
    // Children follow their parents in node order, so a backward pass hands each node's hits to its parent.
    const none: PrefixHits<T>[] = []
    const below: PrefixHits<T>[][] = new Array(hits.length).fill(none)
    const parent = new Int32Array(hits.length)
    for (let node = 0; node < hits.length; node++)
      for (let d = 0; d < 10; d++) {
        const child = children[node * 10 + d]!
        if (child !== 0) parent[child] = node
      }
    for (let node = hits.length - 1; node > 0; node--) {
      const own = hits[node]
      const mine = own ? [{ length: depth[node]!, hits: own }, ...below[node]!] : below[node]!
      if (mine.length === 0) continue
      const up = parent[node]!
      below[up] = below[up] === none ? [...mine] : [...below[up]!, ...mine]
    }
    for (const list of below) if (list !== none) list.sort((a, b) => a.length - b.length)
    this.below = below
  }

  /** Every stored prefix of `digits` (a validated digit string) with its values, longest first. */
  prefixesOf(digits: string): readonly PrefixHits<T>[] {
    let node = 0
    for (let i = 0; i < digits.length; i++) {
      const child = this.children[node * 10 + digits.charCodeAt(i) - 48]!
      if (child === 0) break
      node = child
    }
    return this.chains[node]!
  }

  /**
   * The stored prefixes longer than `digits` that start with it, shortest first: the lines a declared heading
   * contains (`2908` contains `290811`).
   */
  linesWithin(digits: string): readonly PrefixHits<T>[] {
    let node = 0
    for (let i = 0; i < digits.length; i++) {
      const child = this.children[node * 10 + digits.charCodeAt(i) - 48]!
      if (child === 0) return []
      node = child
    }
    return this.below[node]!
  }
}
