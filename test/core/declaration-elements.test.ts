import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { casCheckDigit, parseCas } from '../../src/core/cas.ts'
import { type Extracted, extractDeclarationElements } from '../../src/core/declaration-elements.ts'

interface Case {
  name: string
  gModel?: string
  stuff?: string
  expect: Partial<Extracted>
}

// 申报要素 as declarants write them: template values in order, `|`-separated, mostly without labels.
// Chapter 28/29/38 templates: 品牌类型|出口享惠情况|用途|成分含量|（外观…）|GTIN|CAS|其他.
const cases: Case[] = [
  {
    name: 'ch. 29, decaBDE: content and CAS in different positions — the CAS is the declared goods',
    gModel: '0|0|十溴二苯醚≥98%|阻燃剂||1163-19-5|',
    expect: { casNumbers: ['1163-19-5'], components: [], unreadable: [] },
  },
  {
    name: 'ch. 38, SCCP in a chlorinated-paraffin mixture (Stuff with CAS and content per ingredient)',
    gModel: '0|0|增塑剂|氯化石蜡52%，矿物油48%|无品牌',
    stuff: '氯化石蜡(85535-85-9)55%，短链氯化石蜡(85535-84-8)0.5%，其余为矿物油',
    expect: {
      casNumbers: [],
      components: [
        { cas: '85535-85-9', massFraction: 0.55 },
        { cas: '85535-84-8', massFraction: 0.005 },
      ],
      unreadable: [],
    },
  },
  {
    name: 'ch. 28, sodium hydroxide, older message without the leading codes, labelled CAS',
    gModel: '用途:造纸、纺织|成分含量:氢氧化钠99%|CAS:1310-73-2|片状',
    expect: { casNumbers: ['1310-73-2'], components: [], unreadable: [] },
  },
  {
    name: 'ch. 28, labelled content in the same position as the CAS',
    gModel: '1|0|工业用|成分含量:氢氧化钠99% CAS号1310-73-2|',
    expect: { casNumbers: [], components: [{ cas: '1310-73-2', massFraction: 0.99 }], unreadable: [] },
  },
  {
    name: 'ch. 32, titanium dioxide pigment, full-width digits, hyphen, percent and brackets',
    gModel: '０|０|涂料用着色剂|二氧化钛（１３４６３－６７－７）９３％|锐钛型',
    expect: { casNumbers: [], components: [{ cas: '13463-67-7', massFraction: 0.93 }], unreadable: [] },
  },
  {
    name: 'ch. 32, full-width separators ｜ and ；, several pigments',
    gModel: '0｜0｜油墨用｜酞菁蓝147-14-8 30-40%；炭黑1333-86-4 5~10%；树脂余量',
    expect: {
      casNumbers: [],
      components: [
        { cas: '147-14-8', massFraction: 0.4 },
        { cas: '1333-86-4', massFraction: 0.1 },
      ],
      unreadable: [],
    },
  },
  {
    name: 'ch. 38, PFOS bound in ppm, an upper bound counts as the bound',
    gModel: '0|0|电镀用抑雾剂|全氟辛基磺酸钾 含量<=50ppm (2795-39-3)|',
    expect: { casNumbers: [], components: [{ cas: '2795-39-3', massFraction: 0.00005 }], unreadable: [] },
  },
  {
    name: 'ch. 38, decaBDE trace in mg/kg and a lower bound ≥ on the main ingredient',
    gModel: '0|0|阻燃母粒|聚丙烯9003-07-0≥80%+三氧化二锑1309-64-4 15%+十溴二苯醚1163-19-5 不超过8mg/kg',
    expect: {
      casNumbers: [],
      components: [
        { cas: '9003-07-0', massFraction: 0.8 },
        { cas: '1309-64-4', massFraction: 0.15 },
        { cas: '1163-19-5', massFraction: 0.000008 },
      ],
      unreadable: [],
    },
  },
  {
    name: 'ch. 29, several CAS numbers in one item share its content',
    gModel: '0|0|溶剂|二甲苯 CAS 1330-20-7/108-88-3 含量99.5%',
    expect: {
      casNumbers: [],
      components: [
        { cas: '1330-20-7', massFraction: 0.995 },
        { cas: '108-88-3', massFraction: 0.995 },
      ],
      unreadable: [],
    },
  },
  {
    name: 'a mistyped check digit is not used and is reported as written',
    gModel: '0|0|阻燃剂|十溴二苯醚98%|1163-19-4|',
    expect: { casNumbers: [], components: [], unreadable: ['1163-19-4'] },
  },
  {
    name: 'a mistyped CAS beside a valid one in Stuff',
    stuff: '六氯丁二烯(87-68-4)<0.05%、五氯苯酚(87-86-5)0.2%',
    expect: {
      casNumbers: [],
      components: [{ cas: '87-86-5', massFraction: 0.002 }],
      unreadable: ['87-68-4'],
    },
  },
  {
    name: 'zero-padded CAS as some ERP systems print it',
    gModel: '0|0|实验试剂|0000087-86-5|纯度99%',
    expect: { casNumbers: ['87-86-5'], components: [], unreadable: [] },
  },
  {
    name: 'a content of exactly 100 % leaves the CAS as the declared goods; above 100 % is ignored',
    gModel: '0|0|食品添加剂|柠檬酸77-92-9 100%|丙二醇57-55-6 120%',
    expect: { casNumbers: ['77-92-9', '57-55-6'], components: [], unreadable: [] },
  },
  {
    name: 'the same CAS read twice: the largest content wins, once per line',
    gModel: '0|0|HCBD 87-68-3 0.01%|87-68-3 ≤0.02%',
    stuff: '87-68-3',
    expect: { casNumbers: [], components: [{ cas: '87-68-3', massFraction: 0.0002 }], unreadable: [] },
  },
  {
    name: 'ppb, PPM in capitals, and line breaks as separators',
    stuff: '全氟辛酸335-67-1 ≤25 ppb\n水7732-18-5 余量\r\n氯化钠7647-14-5 500PPM',
    expect: {
      casNumbers: ['7732-18-5'],
      components: [
        { cas: '335-67-1', massFraction: 2.5e-8 },
        { cas: '7647-14-5', massFraction: 0.0005 },
      ],
      unreadable: [],
    },
  },
  {
    name: 'dates, phone numbers, HS codes and model numbers are not CAS numbers',
    gModel: '0|0|生产日期2023-12-31|型号CP-52|电话0771-2345-678|税号3824.89.0000|批号20231231-01-2-3',
    expect: { casNumbers: [], components: [], unreadable: [] },
  },
  {
    name: 'no GModel and no Stuff',
    expect: { casNumbers: [], components: [], unreadable: [] },
  },
  {
    name: 'a comma splits: the content belongs to the next item',
    gModel: '0|0|氯化石蜡85535-84-8,含量1%',
    expect: { casNumbers: ['85535-84-8'], components: [], unreadable: [] },
  },
]

describe('reading CAS numbers and contents from GModel and Stuff', () => {
  it.each(cases)('$name', ({ gModel, stuff, expect: expected }) => {
    const extracted = extractDeclarationElements(gModel, stuff)
    for (const cas of [...(expected.casNumbers ?? []), ...(expected.components ?? []).map((c) => c.cas)])
      expect(parseCas(cas)).toMatchObject({ ok: true })
    expect(extracted.casNumbers).toEqual(expected.casNumbers)
    expect(extracted.unreadable).toEqual(expected.unreadable)
    expect(extracted.components).toHaveLength(expected.components!.length)
    expected.components!.forEach((c, i) => {
      expect(extracted.components[i]!.cas).toBe(c.cas)
      expect(extracted.components[i]!.massFraction).toBeCloseTo(c.massFraction, 12)
    })
  })
})

const validCas = fc
  .tuple(fc.integer({ min: 10, max: 9_999_999 }), fc.integer({ min: 0, max: 99 }))
  .map(([first, middle]) => {
    const body = `${first}${String(middle).padStart(2, '0')}`
    return `${first}-${String(middle).padStart(2, '0')}-${casCheckDigit(body)}`
  })

// Text as declarants write it, digits included (so CAS-like and content-like fragments occur by chance).
const declarantText = fc.string({
  unit: fc.constantFrom(
    ...'0123456789０１２３４５６７８９-－%％|｜;；,，、+ 氯化石蜡含量≤<≥CASppmmg/kgab.~（）()\n',
  ),
  maxLength: 60,
})

// Text that cannot hold a number: no digits in any width, nothing NFKC turns into one.
const unrelatedText = fc.string({
  unit: fc.constantFrom(...'氯化石蜡阻燃剂用途无品牌 abcXYZ-－%％()（）:：≤<~/'),
  maxLength: 40,
})

const all = (e: Extracted) => [...e.casNumbers, ...e.components.map((c) => c.cas)]

const toFullWidth = (s: string) =>
  s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replaceAll(' ', '\u3000')

describe('extraction properties', () => {
  it('never reads a CAS number that is not written in the (NFKC) text', () => {
    fc.assert(
      fc.property(declarantText, declarantText, (gModel, stuff) => {
        const text = `${gModel}\n${stuff}`.normalize('NFKC')
        for (const cas of all(extractDeclarationElements(gModel, stuff))) {
          expect(parseCas(cas)).toMatchObject({ ok: true, cas })
          expect(text).toContain(cas)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('always finds a valid CAS number written anywhere, in either width, set apart from digits', () => {
    fc.assert(
      fc.property(
        declarantText,
        declarantText,
        validCas,
        fc.constantFrom(' ', '(', 'CAS:', '，', '|', '号', '（'),
        fc.constantFrom(' ', ')', '%', '；', '|', '）', ''),
        fc.boolean(),
        fc.boolean(),
        (before, after, cas, open, close, fullWidth, inStuff) => {
          const written = fullWidth ? toFullWidth(cas) : cas
          const text = `${before}${open}${written}${close}${after}`
          // A chance digit or hyphen right beside the number would make it another token; the contract
          // reads only tokens set apart, so only those texts are asked about.
          fc.pre(!/[\d\-－０-９]$/.test(before + open) && !/^[\d\-－０-９]/.test(close + after))
          const extracted = inStuff
            ? extractDeclarationElements(undefined, text)
            : extractDeclarationElements(text, undefined)
          expect(all(extracted)).toContain(cas)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('adding unrelated text as another item or position never changes what is read', () => {
    fc.assert(
      fc.property(
        declarantText,
        declarantText,
        unrelatedText,
        fc.constantFrom('|', '；', '，', '\n', '、', '+'),
        (gModel, stuff, extra, separator) => {
          const before = extractDeclarationElements(gModel, stuff)
          expect(extractDeclarationElements(`${gModel}${separator}${extra}`, stuff)).toEqual(before)
          expect(extractDeclarationElements(`${extra}${separator}${gModel}`, stuff)).toEqual(before)
          expect(extractDeclarationElements(gModel, `${stuff}${separator}${extra}`)).toEqual(before)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('full-width text reads the same as its ASCII form', () => {
    fc.assert(
      fc.property(declarantText, (text) => {
        const ascii = text.normalize('NFKC')
        expect(extractDeclarationElements(toFullWidth(ascii), undefined)).toEqual(
          extractDeclarationElements(ascii, undefined),
        )
      }),
      { numRuns: 300 },
    )
  })

  it('every content read is a mass fraction in (0, 1), every CAS once per line', () => {
    fc.assert(
      fc.property(declarantText, declarantText, (gModel, stuff) => {
        const extracted = extractDeclarationElements(gModel, stuff)
        for (const c of extracted.components) expect(c.massFraction > 0 && c.massFraction <= 1).toBe(true)
        expect(new Set(all(extracted)).size).toBe(all(extracted).length)
      }),
      { numRuns: 300 },
    )
  })
})
