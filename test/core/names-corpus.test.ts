import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { screenDeclaration } from '../../src/core/screen.ts'
import { prepareDeclaration, ScreeningRequestSchema } from '../../src/core/screening-request.ts'
import type { RegistrySnapshot } from '../../src/core/snapshot.ts'
import { seedDocument, seedSnapshot } from '../helpers/registry.ts'

const CORPUS = JSON.parse(readFileSync('test/fixtures/descriptions/everyday.json', 'utf8')) as {
  hs: string
  text: string
}[]

/** Groups named (NAME_MENTIONED) in a description on an HS line that designates nothing. */
function named(description: string, snapshot: RegistrySnapshot, hsCode = '9999999999'.replace(/^99/, '96')) {
  const request = ScreeningRequestSchema.parse({
    declaration: { id: 'names', direction: 'import' },
    lines: [{ lineNo: 1, hsCode, description }],
  })
  const line = screenDeclaration(prepareDeclaration(request, '2026-11-28'), snapshot).lines[0]!
  return line.reasons.filter((r) => r.code === 'NAME_MENTIONED').map((r) => r.substanceId)
}

/** The names issue 21 item 3 found missing, with the group each must raise. */
const TRUE_NAMES: [string, string][] = [
  ['Lindane', 'lindane'],
  ['Endosulfan', 'endosulfan'],
  ['硫丹', 'endosulfan'],
  ['Dechlorane Plus', 'dechlorane_plus'],
  ['得克隆', 'dechlorane_plus'],
  ['全氟辛基磺酸', 'pfos'],
  ['perfluorooctane sulfonic acid', 'pfos'],
  ['全氟辛酸', 'pfoa'],
  ['Toxaphene', 'toxaphene'],
  ['六溴二苯醚', 'hexa_heptabde'],
]

describe('everyday declaration descriptions (test/fixtures/descriptions/everyday.json)', () => {
  const snapshot = seedSnapshot('2025.1')

  it('has at least 300 of them, Chinese and English, across the HS chapters', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(300)
    expect(new Set(CORPUS.map((d) => d.hs.slice(0, 2))).size).toBeGreaterThanOrEqual(50)
    expect(CORPUS.filter((d) => /[\u4e00-\u9fff]/.test(d.text)).length).toBeGreaterThan(200)
    expect(CORPUS.filter((d) => /^[\x20-\x7e]+$/.test(d.text)).length).toBeGreaterThan(30)
  })

  it('raises no NAME_MENTIONED on any of them (2025.1)', () => {
    const false_ = CORPUS.filter((d) => named(d.text, snapshot, d.hs).length > 0).map(
      (d) => `${d.text} → ${named(d.text, snapshot, d.hs).join(',')}`,
    )
    expect(false_).toEqual([])
  })
})

describe('names officers and traders write (2025.1)', () => {
  const snapshot = seedSnapshot('2025.1')

  it.each(TRUE_NAMES)('%s in a description raises NAME_MENTIONED for %s', (name, group) => {
    expect(named(`${name} 样品 1kg`, snapshot)).toEqual([group])
    expect(named(`technical ${name}, 25 kg drums`, snapshot)).toEqual([group])
  })

  it('raises NAME_MENTIONED for every name of every group, alone in a description', () => {
    const missed: string[] = []
    for (const g of seedDocument('2025.1').groups)
      for (const name of new Set([
        g.names.zh,
        g.names.en,
        ...g.abbreviations,
        ...g.synonyms,
        ...g.tradeNames,
      ]))
        if (!named(`${name} 样品`, snapshot).includes(g.id)) missed.push(`${g.id}: ${name}`)
    expect(missed).toEqual([])
  })

  it.each([
    ['森林丹参 切片', []],
    ['七氯化萘 标准品', ['pcn']],
    ['七氯化茚 原药', ['heptachlor']],
    ['五氯苯胺 99%', []],
    ['五氯苯 原药', ['pecb']],
    ['heptachloronaphthalene', []],
    ['heptachlor epoxide standard', ['heptachlor']],
    ['PCB 电路板 四层', []],
    ['PCB assembly for routers', []],
    ['transformer oil containing PCB, 500 ppm', ['pcb']],
    ['含PCB变压器油', ['pcb']],
    ['Aroclor 1254', ['pcb']],
    ['PCN notice for IC', []],
    ['PCN wax, chlorinated naphthalene blend', ['pcn']],
    ['PCP air rifle', []],
    ['PCP wood preservative', ['pcp']],
    ['Buzz Aldrin figure', []],
    ['aldrin 10% dust', ['aldrin']],
    ['十溴二苯乙烷 阻燃剂', []],
    ['十溴二苯醚 阻燃剂', ['decabde']],
    ['多氯联苯醚', []],
    ['吉林丹东 人参', []],
    ['林丹乳油', ['lindane']],
    ['甲氧滴滴涕', ['methoxychlor']],
  ] as [string, string[]][])('%s → %j', (text, groups) => {
    expect(named(text, snapshot)).toEqual(groups)
  })
})
