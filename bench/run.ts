/**
 * npm run bench — the pure screening core, measured against itself on a registry grown to 10,000 groups.
 * Prints lines/s for realistic declarations on the seeded registry and on the grown one, and the ratio.
 */
import { readFileSync } from 'node:fs'
import { casCheckDigit } from '../src/core/cas.ts'
import type { RegistryDocument, RegistryGroup } from '../src/core/registry-document.ts'
import { screenDeclaration } from '../src/core/screen.ts'
import {
  prepareDeclaration,
  type ScreeningRequest,
  ScreeningRequestSchema,
} from '../src/core/screening-request.ts'
import { buildSnapshot, type RegistrySnapshot } from '../src/core/snapshot.ts'
import type { PreparedDeclaration } from '../src/core/types.ts'

const seed = JSON.parse(readFileSync('registry/versions/2025.1.json', 'utf8')) as RegistryDocument
const fixtures = (
  JSON.parse(readFileSync('test/fixtures/declarations/cases.json', 'utf8')) as { request: unknown }[]
).map((f) => ScreeningRequestSchema.parse(f.request))
const everyday: ScreeningRequest = ScreeningRequestSchema.parse({
  declaration: { id: 'bench', direction: 'import' },
  lines: [
    { lineNo: 1, hsCode: '8471300000', description: 'laptop computers 笔记本电脑' },
    { lineNo: 2, hsCode: '6109100000', description: 'cotton T-shirts 棉制T恤', casNumbers: [] },
    {
      lineNo: 3,
      hsCode: '3904220000',
      description: 'plasticised PVC compound',
      components: [{ cas: '117-81-7', massFraction: 0.3 }],
    },
    { lineNo: 4, hsCode: '2917320000', casNumbers: ['117-81-7'], description: 'DEHP plasticiser' },
  ],
})
const declarations: PreparedDeclaration[] = [...fixtures, everyday, everyday, everyday].map((r) =>
  prepareDeclaration(r, '2026-11-28'),
)
const linesPerRound = declarations.reduce((n, d) => n + d.lines.length, 0)

function syntheticGroup(i: number): RegistryGroup {
  const first = 1_000_000 + i
  const cas = `${first}-${String(i % 100).padStart(2, '0')}-${casCheckDigit(`${first}${String(i % 100).padStart(2, '0')}`)}`
  return {
    id: `syn_${i}`,
    names: { en: `Synthetic substance ${i} chloride`, zh: `合成物质${i}号` },
    abbreviations: [`SYN${i}`],
    synonyms: [`synthetic compound number ${i}`],
    tradeNames: [`Synthowax ${i}`],
    reviewNames: [],
    listing: {
      convention: 'Stockholm',
      annex: 'A',
      cop: 'bench',
      year: 2030,
      decision: null,
      decisionConfirmed: false,
    },
    traceLimit: null,
    cas: [
      { number: cas, name: 'synthetic', role: 'parent', scope: 'ban', verified: false, sources: ['POLICY'] },
    ],
    hsRules: [
      {
        prefix: `29${String(10 + (i % 40)).padStart(2, '0')}${String(i % 100).padStart(2, '0')}${String(i).padStart(4, '0').slice(-4)}`,
        kind: 'designates',
        nomenclature: 'CN',
        confidence: 'unverified',
        note: '',
        sources: ['POLICY'],
      },
    ],
    measures: [
      {
        type: 'ban',
        directions: ['import', 'export'],
        validFrom: '2030-01-01',
        validTo: null,
        exemptions: [],
        legalBasis: 'bench',
        sources: ['POLICY'],
      },
    ],
    sources: ['POLICY'],
  }
}

/**
 * Lines per second of this process's CPU time (garbage collection included), so time the VM gives to
 * other tenants does not count against the code.
 */
function measure(snapshot: RegistrySnapshot, seconds: number): number {
  let lines = 0
  let sink = 0
  const cpu = process.cpuUsage()
  const until = performance.now() + seconds * 1000
  while (performance.now() < until) {
    for (let k = 0; k < 50; k++)
      for (const d of declarations) {
        sink += screenDeclaration(d, snapshot).lines.length
        lines += d.lines.length
      }
  }
  const used = process.cpuUsage(cpu)
  if (sink < 0) console.log(sink)
  return lines / ((used.user + used.system) / 1e6)
}

const grown: RegistryDocument = {
  ...seed,
  groups: [...seed.groups, ...Array.from({ length: 10_000 }, (_, i) => syntheticGroup(i))],
}
const t0 = performance.now()
const small = buildSnapshot(seed, 'sha256:seed')
const t1 = performance.now()
const large = buildSnapshot(grown, 'sha256:grown')
const t2 = performance.now()

measure(small, 1)
measure(large, 1)
const rounds: { small: number; large: number }[] = []
for (let r = 0; r < 5; r++) rounds.push({ small: measure(small, 2), large: measure(large, 2) })
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const smallRate = median(rounds.map((r) => r.small))
const largeRate = median(rounds.map((r) => r.large))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

console.log(
  `core screening, ${linesPerRound} lines per round (${declarations.length} realistic declarations), one core`,
)
console.log(
  `  seeded registry (${seed.groups.length} groups, ${small.names.size} names):   ${fmt(smallRate)} lines/s   snapshot build ${(t1 - t0).toFixed(1)} ms`,
)
console.log(
  `  grown registry (${grown.groups.length} groups, ${large.names.size} names): ${fmt(largeRate)} lines/s   snapshot build ${(t2 - t1).toFixed(1)} ms`,
)
console.log(`  ratio grown/seeded: ${(largeRate / smallRate).toFixed(2)}`)

// The name matcher alone (issue 21 item 3 added exclusions, edge and Chinese rules): CPU time per
// description over the everyday corpus the precision test screens.
const descriptions = (
  JSON.parse(readFileSync('test/fixtures/descriptions/everyday.json', 'utf8')) as { text: string }[]
).map((d) => d.text)
function matcherRate(snapshot: RegistrySnapshot, seconds: number): number {
  let found = 0
  let done = 0
  const cpu = process.cpuUsage()
  const until = performance.now() + seconds * 1000
  while (performance.now() < until)
    for (let k = 0; k < 20; k++)
      for (const text of descriptions) {
        found += snapshot.names.find(text).length
        done++
      }
  const used = process.cpuUsage(cpu)
  if (found < 0) console.log(found)
  return (used.user + used.system) / done
}
matcherRate(small, 1)
const perDescription = median(Array.from({ length: 5 }, () => matcherRate(small, 1)))
console.log(
  `  name matcher: ${perDescription.toFixed(2)} µs per description (${descriptions.length} everyday descriptions, median of 5)`,
)
console.log(`  heap used: ${fmt(process.memoryUsage().heapUsed / 1024 / 1024)} MiB`)
