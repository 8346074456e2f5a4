/**
 * Probe declarations for every group registry 2025.1 changes: one line by CAS and one by HS line, dated on
 * both sides of each new date and exemption window, with the reason 2025.1 must give and the fact behind
 * it. The tests assert them; scripts/registry-changes.ts prints them, with 2024.1's answer beside.
 */
import { screenDeclaration } from '../src/core/screen.ts'
import { prepareDeclaration, ScreeningRequestSchema } from '../src/core/screening-request.ts'
import type { RegistrySnapshot } from '../src/core/snapshot.ts'

export interface Probe {
  group: string
  by: 'cas' | 'hs'
  /** The CAS number or HS code declared. */
  value: string
  date: string
  direction: 'import' | 'export'
  /** `CODE` the group's reason on the line under 2025.1, or `none`. */
  expect: string
  why: string
}

interface Window {
  date: string
  expect: string
  why: string
}

/** A group's identifiers and the dates around which its 2025.1 answer changes. */
const CHANGED: { group: string; cas: string; hs: string; windows: Window[] }[] = []
const add = (group: string, cas: string, hs: string, windows: Window[]) =>
  CHANGED.push({ group, cas, hs, windows })

const BAN_2014 =
  'ban from 2014-03-26: the 2009/2011 Stockholm amendments in force for China (CN2014_21, EPDHK_2014)'
const WATCH_TO_2014 = 'watch (Stockholm-listed, no China measure) until 2014-03-25, as in 2024.1'
for (const [group, cas, hs] of [
  ['tetra_pentabde', '5436-43-1', '2909309016'],
  ['hexa_heptabde', '68631-49-2', '2909309016'],
  ['chlordecone', '143-50-0', '2914710000'],
  ['hexabb', '36355-01-8', '2903940000'],
  ['pecb', '608-93-5', '2903930000'],
] as const)
  add(group, cas, hs, [
    { date: '2014-03-25', expect: 'LISTED_NO_CHINA_MEASURE', why: WATCH_TO_2014 },
    { date: '2014-03-26', expect: 'BLOCK', why: BAN_2014 },
  ])
for (const [group, cas, hs] of [
  ['alpha_hch', '319-84-6', '2903810000'],
  ['beta_hch', '319-85-7', '2903810000'],
] as const)
  add(group, cas, hs, [
    { date: '2014-03-25', expect: 'none', why: 'no China measure before 2014-03-26' },
    { date: '2014-03-26', expect: 'BLOCK', why: `${BAN_2014}; 2024.1 dated it from 2023-03-01` },
  ])
for (const [group, cas, hs] of [
  ['ddt', '50-29-3', '2903920000'],
  ['chlordane', '57-74-9', '2903820090'],
  ['mirex', '2385-85-5', '2903830000'],
  ['hcb', '118-74-1', '2903920000'],
] as const)
  add(group, cas, hs, [
    { date: '2009-05-16', expect: 'none', why: 'no China measure before 2009-05-17' },
    ...(group === 'ddt'
      ? [
          {
            date: '2009-05-17',
            expect: 'EXEMPTION_MAY_APPLY',
            why: 'ban from 2009-05-17 except DDT acceptable purposes (CN2009_23) [S]',
          },
          {
            date: '2023-02-28',
            expect: 'EXEMPTION_MAY_APPLY',
            why: 'acceptable purposes end when the 2023 key-control list counts DDT as phased out [I]',
          },
          { date: '2023-03-01', expect: 'BLOCK', why: 'no acceptable purpose left (CNLIST2023)' },
        ]
      : [
          {
            date: '2009-05-17',
            expect: 'BLOCK',
            why: 'ban from 2009-05-17 (CN2009_23) [S]; 2024.1 dated it from 2023-03-01',
          },
        ]),
  ])
for (const [group, cas, hs] of [
  ['lindane', '58-89-9', '2903810000'],
  ['endosulfan', '115-29-7', '2920300000'],
] as const)
  add(group, cas, hs, [
    { date: '2014-03-25', expect: 'none', why: 'no China measure before 2014-03-26' },
    {
      date: '2014-03-26',
      expect: 'EXEMPTION_MAY_APPLY',
      why: 'ban with specific exemptions from 2014-03-26 (CN2014_21) [S]',
    },
    { date: '2019-03-25', expect: 'EXEMPTION_MAY_APPLY', why: 'last day of the specific exemptions' },
    { date: '2019-03-26', expect: 'BLOCK', why: 'banned outright from 2019-03-26 (CN2019) [F]' },
  ])
add('pfos', '1763-23-1', '2904320000', [
  { date: '2014-03-25', expect: 'none', why: 'no China measure before 2014-03-26' },
  {
    date: '2014-03-26',
    expect: 'EXEMPTION_MAY_APPLY',
    why: 'ban except acceptable purposes from 2014-03-26 (CN2014_21 [S], the seven purposes of CN2019 [F])',
  },
  { date: '2023-02-28', expect: 'EXEMPTION_MAY_APPLY', why: 'last day before the key-control list' },
  {
    date: '2023-03-01',
    expect: 'PERMIT_REQUIRED',
    why: 'import/export only with a release notice under the 2023 key-control list [F]',
  },
  { date: '2023-12-31', expect: 'PERMIT_REQUIRED', why: 'last day of the permit regime' },
  { date: '2024-01-01', expect: 'BLOCK', why: 'banned from 2024-01-01, as in 2024.1' },
])

export const PROBES: Probe[] = CHANGED.flatMap(({ group, cas, hs, windows }) =>
  windows.flatMap((w, i) =>
    (['cas', 'hs'] as const).map(
      (by): Probe => ({
        group,
        by,
        value: by === 'cas' ? cas : hs,
        date: w.date,
        // Both directions are covered: every measure of 2025.1 holds for import and export alike.
        direction: i % 2 === 0 ? 'import' : 'export',
        expect: w.expect === 'BLOCK' ? (by === 'cas' ? 'CAS_LISTED' : 'HS_DESIGNATES_SUBSTANCE') : w.expect,
        why: w.why,
      }),
    ),
  ),
)

/** The group's reason codes on the probe's line under `snapshot` (`none` if it gives none). */
export function probeAnswer(probe: Probe, snapshot: RegistrySnapshot): { decision: string; codes: string } {
  const request = ScreeningRequestSchema.parse({
    declaration: { id: `probe-${probe.group}`, direction: probe.direction },
    lines: [
      {
        lineNo: 1,
        hsCode: probe.by === 'hs' ? probe.value : '8471300000',
        ...(probe.by === 'cas' ? { casNumbers: [probe.value] } : {}),
      },
    ],
  })
  const line = screenDeclaration(prepareDeclaration(request, probe.date), snapshot).lines[0]!
  const codes = [...new Set(line.reasons.filter((r) => r.substanceId === probe.group).map((r) => r.code))]
  return { decision: line.decision, codes: codes.length ? codes.sort().join(',') : 'none' }
}
