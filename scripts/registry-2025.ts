/**
 * Registry 2025.1: registry 2024.1 plus the facts of registry/sources/registry-updates-2025.json (the China
 * measures and dates 2024.1 missed, the tariff lines seen, the Stockholm listing data of COP-9 to COP-12,
 * and the names officers and traders write, each with its source). 2024.1 itself is never edited.
 */
import { readFileSync } from 'node:fs'
import type {
  RegistryDocument,
  RegistryGroup,
  RegistryHsRule,
  RegistryMeasure,
} from '../src/core/registry-document.ts'

type NameKind = 'abbreviations' | 'synonyms' | 'tradeNames' | 'reviewNames'
interface GroupUpdate {
  ban2014?: boolean
  ban2009?: boolean
  catalogue2021?: boolean
  lindaneEndosulfan?: boolean
  pfos?: boolean
  watchSearched?: boolean
  cop9to12?: boolean
  listingExemptions?: string[]
  listingSources?: string[]
  cas?: [string, string, 'congener' | 'parent' | 'salt' | 'mixture'][]
  hs?: [string, 'designates' | 'residual', string][]
  names: { kind: NameKind; names: string[]; sources: string[]; mark: string }[]
  contextNames?: { names: string[]; otherMeaning: string; context: string[]; sources: string[] }[]
  dropNames?: string[]
}
interface Updates {
  sources: Record<string, string>
  groups: Record<string, GroupUpdate>
}

const BOTH: RegistryMeasure['directions'] = ['import', 'export']
const KEY_LIST_PHASED_OUT =
  '重点管控新污染物清单（2023年版）已淘汰类（2023-03-01施行）/ List of New Pollutants under Priority Control (2023), already phased-out group'
const ANN_2014 =
  '环境保护部等12部门公告2014年第21号：《斯德哥尔摩公约》2009年和2011年修正案自2014-03-26对我国生效，禁止新增列持久性有机污染物的生产、流通、使用和进出口 / MEP and eleven departments, Announcement 2014 No. 21: the 2009 and 2011 Stockholm amendments in force for China from 2014-03-26 (acceptance deposited 2013-12-26), production, circulation, use, import and export prohibited'
const NOTE_2014 =
  'In force for China on 2014-03-26: acceptance deposited 2013-12-26 [F], plus 90 days under Art. 22 [I], the date HK EPD states [F]; the 2014 announcement text was not retrieved [S].'
const ANN_2009 =
  '环境保护部等公告2009年第23号：自2009-05-17禁止滴滴涕、氯丹、灭蚁灵及六氯苯的生产、流通、使用和进出口（滴滴涕用于可接受用途除外）/ MEP et al. Announcement 2009 No. 23: DDT, chlordane, mirex and HCB prohibited from 2009-05-17 (DDT acceptable purposes excepted)'
const CATALOGUE_2021 =
  '禁止进口货物目录（第七批）和禁止出口货物目录（第六批）（2021-01-01施行）/ Catalogues of goods prohibited from import (7th batch) and export (6th batch), in force 2021-01-01'
const ANN_2019 =
  '生态环境部等11部门《关于禁止生产、流通、使用和进出口林丹等持久性有机污染物的公告》（2019-03-04，2019-03-26起施行）/ MEE and ten departments, announcement of 2019-03-04 banning lindane, endosulfan and PFOS uses from 2019-03-26'

const PFOS_USES: [string, string][] = [
  ['照片成像', 'photo imaging'],
  ['半导体器件的光阻剂和防反射涂层', 'photoresists and anti-reflective coatings for semiconductors'],
  ['化合物半导体和陶瓷滤芯的刻蚀剂', 'etching agent for compound semiconductors and ceramic filters'],
  ['航空液压油', 'aviation hydraulic fluids'],
  [
    '只用于闭环系统的金属电镀（硬金属电镀）',
    'metal plating (hard metal plating) only in closed-loop systems',
  ],
  [
    '某些医疗设备（如ETFE层和无线电屏蔽ETFE的生产，体外诊断医疗设备和CCD滤色仪）',
    'certain medical devices (ETFE layers, radio-opaque ETFE, in-vitro diagnostic devices, CCD colour filters)',
  ],
  ['灭火泡沫', 'fire-fighting foam'],
]

function stockholm(group: RegistryGroup): string {
  const l = group.listing
  return `《关于持久性有机污染物的斯德哥尔摩公约》附件${l.annex.split(' ')[0]} / Stockholm Convention Annex ${l.annex} (${l.cop}, ${l.year})`
}

function measuresFor(group: RegistryGroup, u: GroupUpdate): RegistryMeasure[] {
  const id = group.id
  if (u.ban2014) {
    const extra = [
      ...(id === 'alpha_hch' || id === 'beta_hch' ? [KEY_LIST_PHASED_OUT] : []),
      ...(u.catalogue2021 ? [CATALOGUE_2021] : []),
    ]
    // A watch entry of 2024.1 still describes the years before the ban: a Stockholm-listed POP without a
    // China measure. It now ends the day before.
    const before = group.measures
      .filter((m) => m.type === 'watch')
      .map((m) => ({
        ...m,
        validTo: '2014-03-25',
        note: `${m.note ?? ''} Ends 2014-03-25: banned in China from 2014-03-26.`.trim(),
      }))
    return [
      ...before,
      {
        type: 'ban',
        directions: BOTH,
        validFrom: '2014-03-26',
        validTo: null,
        exemptions: [],
        legalBasis: [ANN_2014, ...extra, stockholm(group)].join('; '),
        note: NOTE_2014,
        sources: [
          'CN2014_21',
          'CN_RATIFY',
          'EPDHK_2014',
          ...(extra.length && u.catalogue2021 ? ['CN_BANCAT_2021'] : []),
          ...(id === 'alpha_hch' || id === 'beta_hch' ? ['CNLIST2023'] : []),
        ],
      },
    ]
  }
  if (u.ban2009)
    return [
      {
        type: 'ban',
        directions: BOTH,
        validFrom: '2009-05-17',
        validTo: null,
        exemptions:
          id === 'ddt'
            ? [
                {
                  use: {
                    zh: '公约可接受用途（病媒控制；生产三氯杀螨醇的中间体）',
                    en: 'acceptable purposes of the Stockholm listing (disease vector control; intermediate in dicofol production)',
                  },
                  from: '2009-05-17',
                  until: '2023-02-28',
                  sources: ['CN2009_23', 'CNLIST2023'],
                },
              ]
            : [],
        legalBasis: [
          ANN_2009,
          ...(u.catalogue2021 ? [CATALOGUE_2021] : []),
          KEY_LIST_PHASED_OUT,
          stockholm(group),
        ].join('; '),
        note:
          id === 'ddt'
            ? 'The 2009 announcement excepts DDT acceptable purposes [S]; they end at the latest when the 2023 key-control list counts DDT as already phased out (in force 2023-03-01) [F], so the window closes on 2023-02-28 [I].'
            : 'Dated from the 2009 announcement [S]; registry 2024.1 dated this ban from the 2023 key-control list.',
        sources: ['CN2009_23', 'CNLIST2023', ...(u.catalogue2021 ? ['CN_BANCAT_2021'] : [])],
      },
    ]
  if (u.lindaneEndosulfan) {
    const use =
      id === 'lindane'
        ? {
            zh: '公约特定豁免：控制头虱和疥疮的人用二线药物（我国登记的豁免未检索到）',
            en: 'Stockholm specific exemption: human health pharmaceutical for head lice and scabies as second-line treatment (the exemptions China registered were not retrieved)',
          }
        : {
            zh: '公约特定豁免：附件A第六部分所列作物-害虫组合（我国登记的豁免未检索到）',
            en: 'Stockholm specific exemption: the crop–pest complexes of Annex A Part VI (the exemptions China registered were not retrieved)',
          }
    return [
      {
        type: 'ban',
        directions: BOTH,
        validFrom: '2014-03-26',
        validTo: '2019-03-25',
        exemptions: [
          {
            use,
            from: '2014-03-26',
            until: '2019-03-25',
            sources: ['CN2014_21', id === 'lindane' ? 'SC4' : 'SC53'],
          },
        ],
        legalBasis: `${ANN_2014}; ${stockholm(group)}`,
        note: `${NOTE_2014} The specific exemptions ended when the 2019 announcement banned ${id} outright [F].`,
        sources: ['CN2014_21', 'CN_RATIFY', 'EPDHK_2014', ...(id === 'endosulfan' ? ['MOA_ENDOSULFAN'] : [])],
      },
      ...group.measures,
    ]
  }
  if (u.pfos)
    return [
      {
        type: 'ban',
        directions: BOTH,
        validFrom: '2014-03-26',
        validTo: '2023-02-28',
        exemptions: PFOS_USES.map(([zh, en]) => ({
          use: { zh: `可接受用途：${zh}`, en: `acceptable purpose: ${en}` },
          from: '2014-03-26',
          until: '2023-02-28',
          sources: ['CN2014_21', 'CN2019_PFOS_USES'],
        })),
        legalBasis: `${ANN_2014}; ${ANN_2019}; ${stockholm(group)}`,
        note: `${NOTE_2014} Banned except its acceptable purposes (the seven of the 2019 annex [F]); every match is a question while they stand.`,
        sources: ['CN2014_21', 'CN2019', 'CN2019_PFOS_USES', 'EPDHK_2014'],
      },
      {
        type: 'permit',
        directions: BOTH,
        validFrom: '2023-03-01',
        validTo: '2023-12-31',
        exemptions: [],
        legalBasis:
          '重点管控新污染物清单（2023年版）：全氟辛基磺酸类进出口须取得有毒化学品进（出）口环境管理放行通知单，2024-01-01起禁止 / List of New Pollutants under Priority Control (2023): PFOS import and export need a release notice, prohibited from 2024-01-01',
        note: 'Permit-only from the key-control list’s entry into force (2023-03-01) to the ban of 2024-01-01 [F].',
        sources: ['PFOS_CNLIST', 'CNLIST2023'],
      },
      ...group.measures,
    ]
  return group.measures
}

const WATCH_SEARCHED =
  'China measure searched for registry 2025.1 (see registry/sources/search-log-2025.md): the 2009 announcement names only DDT, chlordane, mirex and HCB [S]; the Ministry of Agriculture bans the use of aldrin, dieldrin and toxaphene as pesticides [S] — a use ban, not an import/export measure; the 2021 catalogues of prohibited imports and exports name 35 chemicals, of which only chlordane, mirex and pentachlorobenzene were seen [S, full list not retrieved]. No import/export measure found: stays watch (REVIEW).'
const COP9_12 =
  'No Chinese acceptance of the COP-9 to COP-12 amendments was found [U]; MEE statements of 2024-05-17 and 2025-11-11 still count 29 POP types eliminated [F], so the amendment had not entered into force for China by November 2025 [I]. Stays watch (REVIEW) unless a China measure is recorded.'

function withNames(group: RegistryGroup, u: GroupUpdate): Partial<RegistryGroup> {
  const drop = new Set(u.dropNames ?? [])
  const lists: Record<NameKind, string[]> = {
    abbreviations: group.abbreviations.filter((n) => !drop.has(n)),
    synonyms: group.synonyms.filter((n) => !drop.has(n)),
    tradeNames: group.tradeNames.filter((n) => !drop.has(n)),
    reviewNames: group.reviewNames.filter((n) => !drop.has(n)),
  }
  const existing = new Set([group.names.zh, group.names.en, ...Object.values(lists).flat()])
  const already = [...existing]
  for (const entry of u.names)
    for (const name of entry.names)
      if (!existing.has(name)) {
        lists[entry.kind].push(name)
        existing.add(name)
      }
  return {
    ...lists,
    nameSources: [
      // Names carried over from 2024.1 come from the fact sheet's entry for the group.
      { names: already, sources: group.sources },
      ...u.names.map((e) => ({ names: e.names, sources: e.sources })),
    ],
    ...(u.contextNames ? { contextNames: u.contextNames } : {}),
  }
}

function sourceEntry(text: string): { title: string; url?: string } {
  const url = /https?:\/\/\S+/.exec(text)?.[0]
  return url ? { title: text, url } : { title: text }
}

export function build2025(base: RegistryDocument, updatesPath: string): RegistryDocument {
  const updates = JSON.parse(readFileSync(updatesPath, 'utf8')) as Updates
  const sources = { ...base.sources }
  for (const [key, text] of Object.entries(updates.sources)) sources[key] = sourceEntry(text)
  const groups = base.groups.map((group): RegistryGroup => {
    const u = updates.groups[group.id]
    if (!u) return { ...group, ...withNames(group, { names: [] }) }
    const cas = [
      ...group.cas,
      ...(u.cas ?? [])
        .filter(([number]) => !group.cas.some((c) => c.number === number))
        .map(([number, name, role]) => ({
          number,
          name,
          role,
          scope: 'ban' as const,
          verified: true,
          sources: ['SC4'],
        })),
    ]
    const hsRules: RegistryHsRule[] = [
      ...group.hsRules,
      ...(u.hs ?? []).map(([prefix, kind, note]) => ({
        prefix,
        kind,
        nomenclature: 'CN' as const,
        confidence: 'sourced' as const,
        note,
        sources: ['CN_TARIFF_MIRROR'],
      })),
    ]
    const notes = [
      group.notes,
      u.watchSearched ? WATCH_SEARCHED : undefined,
      u.cop9to12 ? COP9_12 : undefined,
    ]
      .filter(Boolean)
      .join(' ')
    return {
      ...group,
      ...withNames(group, u),
      listing: {
        ...group.listing,
        ...(u.listingExemptions ? { exemptions: u.listingExemptions } : {}),
        ...(u.listingSources ? { sources: u.listingSources } : {}),
      },
      cas,
      hsRules,
      measures: measuresFor(group, u),
      ...(notes ? { notes } : {}),
      sources: [...new Set([...group.sources, ...measuresFor(group, u).flatMap((m) => m.sources)])],
    }
  })
  return {
    ...base,
    version: '2025.1',
    title: {
      zh: '禁止进出口的持久性有机污染物登记表（2025.1：补充2009年、2014年、2019年措施及日期）',
      en: 'Registry of POPs banned from import and export in China (2025.1: the 2009, 2014 and 2019 measures and dates added)',
    },
    sources,
    groups,
  }
}
