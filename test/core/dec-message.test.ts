import { createHash } from 'node:crypto'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { readDecMessage } from '../../src/core/dec-message.ts'

interface Line {
  GNo?: string
  CodeTS?: string
  CiqCode?: string
  GName?: string
  GModel?: string
  Stuff?: string
  [element: string]: string | undefined
}

const elements = (fields: Record<string, string | undefined>, p = '') =>
  Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${p}${k}>${v}</${p}${k}>`)
    .join('')

/** A DecMessage as customs systems write it; `p` is a namespace prefix such as `dec:`. */
function message({
  head = {},
  lines = [{}],
  sign = {},
  p = '',
  xmlns = ' xmlns="http://www.chinaport.gov.cn/dec"',
  declaration = '<?xml version="1.0" encoding="UTF-8"?>\n',
}: {
  head?: Record<string, string | undefined>
  lines?: Line[]
  sign?: Record<string, string | undefined>
  p?: string
  xmlns?: string
  declaration?: string
} = {}): string {
  const h = {
    SeqNo: '200000000123456789',
    EntryId: '',
    IEFlag: 'I',
    IEDate: '20261128',
    CustomMaster: '7201',
    GrossWet: '21480',
    NetWt: '20000',
    DistinatePort: 'VNM000',
    PromiseItmes: '000',
    TradeCountry: 'VNM',
    TradeCoScc: '91450103MA5L654321',
    TradeName: '南宁市某塑胶制品有限公司',
    ...head,
  }
  const lists = lines.map((l, i) =>
    elements(
      {
        GNo: String(i + 1),
        CodeTS: '2903290000',
        CiqCode: '999',
        GName: '六氯丁二烯',
        GModel: '0|0|工业用|含量99%|87-68-3',
        Stuff: '',
        Uncode: '2279',
        MnufctrRegno: '',
        ...l,
      },
      p,
    ),
  )
  return `${declaration}<${p}DecMessage${xmlns}${p ? ` xmlns:${p.slice(0, -1)}="http://www.chinaport.gov.cn/dec"` : ''} version="3.1"><${p}DecHead>${elements(h, p)}</${p}DecHead><${p}DecLists>${lists.map((l) => `<${p}DecList>${l}</${p}DecList>`).join('')}</${p}DecLists><${p}DecSign>${elements({ OperType: 'G', ClientSeqNo: 'CLIENT-1', ...sign }, p)}</${p}DecSign><${p}EdocRealation><${p}EdocFomatType>US</${p}EdocFomatType></${p}EdocRealation></${p}DecMessage>`
}

const read = (xml: string | Uint8Array, charset?: string) =>
  readDecMessage(typeof xml === 'string' ? Buffer.from(xml) : xml, charset)

function ok(xml: string | Uint8Array, charset?: string) {
  const result = read(xml, charset)
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`)
  return result
}

describe('reading a DecMessage', () => {
  it('maps the head and lines as dec-message.md §4 says', () => {
    const result = ok(
      message({
        lines: [
          {
            GName: '氯化石蜡',
            DeclGoodsEname: 'Chlorinated paraffin',
            CodeTS: '3824.8900.00',
            CiqCode: '999',
            GModel: '0|0|增塑剂|85535-84-8 0.5%|CP-52',
            Stuff: '矿物油8042-47-5',
          },
          { GNo: '2', CodeTS: '2903290000', CiqCode: '' },
        ],
      }),
    )
    expect(result.request).toEqual({
      declaration: {
        id: '200000000123456789',
        direction: 'import',
        date: '2026-11-28',
        declarant: '91450103MA5L654321',
        tradeCountry: 'VNM',
        customsOffice: '7201',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '3824890000999',
          casNumbers: ['8042-47-5'],
          description: '氯化石蜡 Chlorinated paraffin 0|0|增塑剂|85535-84-8 0.5%|CP-52 矿物油8042-47-5',
          purpose: 'commercial',
          components: [{ cas: '85535-84-8', massFraction: 0.005 }],
        },
        {
          lineNo: 2,
          hsCode: '2903290000',
          casNumbers: ['87-68-3'],
          description: '六氯丁二烯 0|0|工业用|含量99%|87-68-3',
          purpose: 'commercial',
          components: [],
        },
      ],
    })
    expect(result.extracted[0]).toEqual({
      casNumbers: ['8042-47-5'],
      components: [{ cas: '85535-84-8', massFraction: 0.005 }],
      unreadable: [],
    })
    expect(result.message.encoding).toBe('UTF-8')
  })

  it('takes the id from EntryId, else SeqNo, else DecSign/ClientSeqNo; the declarant from TradeCoScc, else TradeName', () => {
    expect(ok(message({ head: { EntryId: '720120261000012345' } })).request.declaration.id).toBe(
      '720120261000012345',
    )
    const fromSign = ok(message({ head: { SeqNo: '', TradeCoScc: '' } })).request.declaration
    expect(fromSign.id).toBe('CLIENT-1')
    expect(fromSign.declarant).toBe('南宁市某塑胶制品有限公司')
  })

  it('fills quantity from FirstQty/FirstUnit, else GQty/GUnit, the value from DeclTotal/TradeCurr (contract §8)', () => {
    const { lines } = ok(
      message({
        lines: [
          {
            FirstQty: '20000',
            FirstUnit: '035',
            GQty: '800',
            GUnit: '122',
            DeclTotal: '37000.50',
            TradeCurr: 'USD',
          },
          {
            GNo: '2',
            FirstQty: '0',
            FirstUnit: '035',
            GQty: '40000',
            GUnit: '007',
            DeclTotal: '4500',
            TradeCurr: '502',
          },
          { GNo: '3', FirstQty: '', GQty: '', DeclTotal: '', TradeCurr: 'USD' },
        ],
      }),
    ).request
    expect(lines[0]).toMatchObject({
      quantity: { value: 20000, unit: '035' },
      declaredValue: { amount: 37000.5, currency: 'USD' },
    })
    expect(lines[1]).toMatchObject({
      quantity: { value: 40000, unit: '007' },
      declaredValue: { amount: 4500, currency: '502' },
    })
    expect(lines[2]).not.toHaveProperty('quantity')
    expect(lines[2]).not.toHaveProperty('declaredValue')
  })

  it('refuses quantities, values and offices it cannot read, naming the element', () => {
    const result = read(
      message({
        head: { CustomMaster: '72O1' },
        lines: [
          { FirstQty: '2,000', FirstUnit: '035', DeclTotal: 'USD 50', TradeCurr: 'USD' },
          { GNo: '2', GQty: '5', GUnit: 'KG', TradeCurr: 'dollar', DeclTotal: '5' },
        ],
      }),
    )
    expect(result).toMatchObject({ ok: false, status: 422 })
    expect(result.ok ? [] : result.errors!.map((e) => `${e.path} ${e.code}`)).toEqual([
      '/DecMessage/DecHead/CustomMaster INVALID_FORMAT',
      '/DecMessage/DecLists/DecList[1]/FirstQty INVALID_FORMAT',
      '/DecMessage/DecLists/DecList[1]/DeclTotal INVALID_FORMAT',
      '/DecMessage/DecLists/DecList[2]/GUnit INVALID_FORMAT',
      '/DecMessage/DecLists/DecList[2]/TradeCurr INVALID_FORMAT',
    ])
  })

  it('reads export messages and leaves the date to the service when IEDate is empty', () => {
    const { declaration } = ok(message({ head: { IEFlag: 'E', IEDate: '' } })).request
    expect(declaration.direction).toBe('export')
    expect(declaration.date).toBeUndefined()
  })

  it.each([
    ['default namespace', {}],
    ['a prefix', { p: 'dec:' }],
    ['a different prefix', { p: 'ns2:' }],
    ['no namespace', { xmlns: '' }],
    ['no XML declaration', { declaration: '' }],
  ])('reads elements by local name with %s', (_, options) => {
    expect(ok(message(options)).request.lines[0]!.casNumbers).toEqual(['87-68-3'])
  })

  it('ignores the sections and misspelled elements it does not use, and unknown ones', () => {
    const xml = message().replace(
      '</DecHead>',
      '<DecFreeTxt/><Unknown><Deep>1</Deep></Unknown><EdocFomatType>US</EdocFomatType></DecHead>',
    )
    expect(ok(xml).request.declaration.id).toBe('200000000123456789')
  })

  it('decodes character references and CDATA, and keeps the text exactly as received', () => {
    const xml = message({
      lines: [{ GName: '&#x5341;&#28340;二苯醚 &amp; 助剂', GModel: '<![CDATA[0|0|<阻燃剂>|1163-19-5]]>' }],
    })
    const result = ok(xml)
    expect(result.request.lines[0]!.description).toBe('十溴二苯醚 & 助剂 0|0|<阻燃剂>|1163-19-5')
    expect(result.message.text).toBe(xml)
    expect(result.message.sha256).toBe(`sha256:${createHash('sha256').update(xml).digest('hex')}`)
  })
})

describe('encodings', () => {
  const chinese = message({ lines: [{ GName: '短链氯化石蜡', GModel: '0|0|85535-84-8' }] })

  it('reads UTF-8 with a byte-order mark and keeps the mark in the stored text', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(chinese)])
    const result = ok(body)
    expect(result.request.lines[0]!.description).toContain('短链氯化石蜡')
    expect(Buffer.from(result.message.text).equals(body)).toBe(true)
  })

  it.each([
    ['GBK', 'GBK'],
    ['gb2312', 'GBK'],
    ['GB18030', 'GB18030'],
  ])('reads a body declared %s', (declared, read) => {
    const xml = chinese.replace('encoding="UTF-8"', `encoding="${declared}"`)
    const body = iconv.encode(xml, declared)
    const result = ok(body)
    expect(result.message.encoding).toBe(read)
    expect(result.request.lines[0]!.description).toContain('短链氯化石蜡')
    expect(result.request.declaration.declarant).toBe('91450103MA5L654321')
    // The stored text and encoding give back the received bytes, which the sha256 names.
    expect(iconv.encode(result.message.text, read).equals(body)).toBe(true)
    expect(result.message.sha256).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`)
  })

  it('accepts a charset parameter that agrees with the declaration, or stands alone', () => {
    const gbk = chinese.replace('encoding="UTF-8"', 'encoding="GBK"')
    expect(ok(iconv.encode(gbk, 'gbk'), 'gb2312').message.encoding).toBe('GBK')
    expect(ok(iconv.encode(gbk, 'gbk'), 'GB18030').message.encoding).toBe('GB18030')
    expect(ok(Buffer.from(chinese), 'utf-8').message.encoding).toBe('UTF-8')
    const undeclared = chinese.replace(' encoding="UTF-8"', '')
    expect(ok(iconv.encode(undeclared, 'gbk'), 'GBK').request.lines[0]!.description).toContain('短链氯化石蜡')
  })

  it.each([
    ['an encoding outside UTF-8 and the GB family', chinese.replace('UTF-8', 'ISO-8859-1'), undefined],
    ['Big5', chinese.replace('UTF-8', 'Big5'), undefined],
    ['a charset contradicting the declaration', chinese, 'GBK'],
    ['a GB declaration contradicted by charset=utf-8', chinese.replace('UTF-8', 'GBK'), 'utf-8'],
    ['an unsupported charset', chinese, 'latin1'],
  ])('refuses %s with 415', (_, xml, charset) => {
    expect(read(xml, charset)).toMatchObject({ ok: false, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  })

  it('refuses UTF-16 and a UTF-8 byte-order mark on a GB declaration with 415', () => {
    expect(read(Buffer.from(`\uFEFF${chinese}`, 'utf16le'))).toMatchObject({ status: 415 })
    const bomGbk = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(chinese.replace('UTF-8', 'GBK')),
    ])
    expect(read(bomGbk)).toMatchObject({ status: 415 })
  })

  it('refuses bytes that are not valid in the encoding, naming line and column', () => {
    const gbkBytes = iconv.encode(chinese, 'gbk') // declared UTF-8
    expect(read(gbkBytes)).toMatchObject({
      status: 400,
      code: 'XML_MALFORMED',
      detail: expect.stringMatching(/UTF-8 at line 2, column \d+/),
    })
    const broken = Buffer.concat([
      iconv.encode(chinese.replace('UTF-8', 'GBK').slice(0, 60), 'gbk'),
      Buffer.from([0x81, 0x20]),
    ])
    expect(read(broken)).toMatchObject({
      status: 400,
      code: 'XML_MALFORMED',
      detail: expect.stringContaining('not valid GBK'),
    })
  })
})

describe('refusals (dec-message.md §6)', () => {
  const refused = (xml: string | Uint8Array) => {
    const result = read(xml)
    if (result.ok) throw new Error('accepted')
    return result
  }

  it.each([
    ['a mismatched closing tag', message().replace('</DecHead>', '</DecHeed>'), /line 2, column \d+/],
    ['an unclosed document', message().slice(0, -20), /line \d+/],
    ['an undeclared entity', message({ lines: [{ GName: '&nbsp;' }] }), /line 2, column \d+/],
    ['a bare ampersand', message({ lines: [{ GName: 'A & B' }] }), /line 2, column \d+/],
    ['a reference to NUL', message({ lines: [{ GName: '&#0;' }] }), /line 2, column \d+/],
    ['a control character', message({ lines: [{ GName: 'a\u0001b' }] }), /line 2, column \d+/],
    ['two root elements', `${message()}<DecMessage/>`, /more than one root/],
    ['an empty body', '', /line 1/],
    ['text, not XML', '{"declaration":{}}', /line 1/],
  ])('not well-formed: %s → 400 XML_MALFORMED naming where', (_, xml, where) => {
    const result = refused(xml)
    expect(result).toMatchObject({ status: 400, code: 'XML_MALFORMED' })
    expect(result.detail).toMatch(where)
  })

  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<DecMessage><DecHead><SeqNo>&lol9;</SeqNo></DecHead></DecMessage>`
  const externalEntity = `<?xml version="1.0"?>
<!DOCTYPE DecMessage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<DecMessage><DecHead><SeqNo>&xxe;</SeqNo></DecHead></DecMessage>`

  it.each([
    ['billion laughs', billionLaughs],
    ['an external entity', externalEntity],
    [
      'an external DTD',
      `<?xml version="1.0"?><!DOCTYPE DecMessage SYSTEM "http://127.0.0.1:9/dec.dtd">${message({ declaration: '' })}`,
    ],
    ['a lower-case doctype', `<!doctype html>${message({ declaration: '' })}`],
    [
      'an ENTITY declaration inside a CDATA section',
      message({ lines: [{ GName: '<![CDATA[<!ENTITY x "y">]]>' }] }),
    ],
  ])('%s → 400 XML_DTD_FORBIDDEN, nothing expanded or fetched', (_, xml) => {
    expect(refused(xml)).toMatchObject({ status: 400, code: 'XML_DTD_FORBIDDEN' })
  })

  it('200,000-deep nesting → 422 without walking it', () => {
    const xml = `<DecMessage>${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}</DecMessage>`
    expect(refused(xml)).toMatchObject({
      status: 422,
      errors: [{ path: '/', code: 'NESTING_TOO_DEEP' }],
    })
  })

  it('32 levels are read, 33 are refused', () => {
    const nest = (n: number) =>
      message()
        .replace('<DecFreeTxt/>', '')
        .replace('</DecHead>', `${'<x>'.repeat(n - 2)}${'</x>'.repeat(n - 2)}</DecHead>`)
    // DecMessage/DecHead/x…: n levels in all.
    expect(read(nest(32)).ok).toBe(true)
    expect(refused(nest(33))).toMatchObject({ status: 422, errors: [{ code: 'NESTING_TOO_DEEP' }] })
  })

  it.each([
    [
      'a root other than DecMessage',
      '<Declaration><DecHead/></Declaration>',
      [{ path: '/DecMessage', code: 'NOT_DECMESSAGE' }],
    ],
    [
      'no DecHead',
      message().replace(/<DecHead>.*<\/DecHead>/, ''),
      [{ path: '/DecMessage/DecHead', code: 'REQUIRED' }],
    ],
    [
      'no DecList',
      message().replace(/<DecLists>.*<\/DecLists>/, '<DecLists/>'),
      [{ path: '/DecMessage/DecLists/DecList', code: 'REQUIRED' }],
    ],
    [
      'no DecLists',
      message().replace(/<DecLists>.*<\/DecLists>/, ''),
      [{ path: '/DecMessage/DecLists/DecList', code: 'REQUIRED' }],
    ],
    [
      'two DecHead elements',
      message().replace('</DecHead>', '</DecHead><DecHead/>'),
      [{ path: '/DecMessage/DecHead[2]', code: 'DUPLICATE_ELEMENT' }],
    ],
    [
      '51 DecList elements',
      message({ lines: Array.from({ length: 51 }, () => ({})) }),
      [{ path: '/DecMessage/DecLists/DecList[51]', code: 'TOO_MANY_LINES' }],
    ],
  ])('%s → 422 naming the path', (_, xml, errors) => {
    expect(refused(xml)).toMatchObject({ status: 422, code: 'VALIDATION_FAILED', errors })
  })

  it('reads 50 lines', () => {
    expect(ok(message({ lines: Array.from({ length: 50 }, () => ({})) })).request.lines).toHaveLength(50)
  })

  it('names every invalid field in one 422, with 1-based element paths', () => {
    const result = refused(
      message({
        head: { SeqNo: '', IEFlag: 'X', IEDate: '20260230' },
        sign: { ClientSeqNo: '' },
        lines: [
          {},
          { GNo: '1' },
          { GNo: 'two', CodeTS: '29032900' },
          { GNo: '51', CodeTS: '7700000000' },
          { GNo: '', CodeTS: '' },
          { GNo: '6', GName: '<b>bold</b>' },
          { GNo: '7', GModel: 'a</GModel><GModel>b' },
        ],
      }),
    )
    expect(result.status).toBe(422)
    expect(result.errors).toEqual([
      { path: '/DecMessage/DecHead/EntryId', code: 'REQUIRED', message: expect.any(String) },
      { path: '/DecMessage/DecHead/IEFlag', code: 'INVALID_VALUE', message: expect.any(String) },
      { path: '/DecMessage/DecHead/IEDate', code: 'INVALID_DATE', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[2]/GNo', code: 'DUPLICATE_LINE_NO', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[3]/GNo', code: 'INVALID_FORMAT', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[3]/CodeTS', code: 'HS_FORMAT', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[4]/GNo', code: 'OUT_OF_RANGE', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[4]/CodeTS', code: 'HS_CHAPTER', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[5]/GNo', code: 'REQUIRED', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[5]/CodeTS', code: 'REQUIRED', message: expect.any(String) },
      { path: '/DecMessage/DecLists/DecList[6]/GName', code: 'INVALID_TYPE', message: expect.any(String) },
      {
        path: '/DecMessage/DecLists/DecList[7]/GModel[2]',
        code: 'DUPLICATE_ELEMENT',
        message: expect.any(String),
      },
    ])
  })

  it.each([
    ['19000101', '1900-01-01'],
    ['21001231', '2100-12-31'],
    ['20240229', '2024-02-29'],
  ])('IEDate %s is %s', (ieDate, iso) => {
    expect(ok(message({ head: { IEDate: ieDate } })).request.declaration.date).toBe(iso)
  })

  it.each(['18991231', '21010101', '20230229', '2026-11-28', '20261328'])(
    'IEDate %s is refused',
    (ieDate) => {
      expect(refused(message({ head: { IEDate: ieDate } })).errors).toEqual([
        expect.objectContaining({ path: '/DecMessage/DecHead/IEDate', code: 'INVALID_DATE' }),
      ])
    },
  )
})
