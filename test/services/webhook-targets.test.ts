import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { parseNetworks, refusalOf, WebhookTargets } from '../../src/services/webhook-targets.ts'

describe('which addresses a webhook may target', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['10.0.0.1', 'a private (RFC 1918) address'],
    ['172.16.5.4', 'a private (RFC 1918) address'],
    ['192.168.0.1', 'a private (RFC 1918) address'],
    ['169.254.169.254', 'a link-local address, where cloud metadata services live'],
    ['0.0.0.0', 'the unspecified address, which means this host'],
    ['100.64.1.1', 'a shared address of carrier-grade NAT'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['192.0.2.1', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'the unspecified address, which means this host'],
    ['fe80::1', 'a link-local address, where cloud metadata services live'],
    ['fd00:ec2::254', 'a unique-local IPv6 address'],
    ['::ffff:10.0.0.1', 'a private (RFC 1918) address'],
    ['::ffff:169.254.169.254', 'a link-local address, where cloud metadata services live'],
    ['64:ff9b::7f00:1', 'a loopback address'],
    ['::7f00:1', 'a non-public IPv6 address, outside 2000::/3'],
    ['2001:db8::1', 'a reserved address'],
  ])('refuses %s: %s', (address, why) => {
    expect(refusalOf(address, [])).toBe(why)
  })

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::6810:84e5', '::ffff:93.184.215.14', '64:ff9b::5db8:d70e'])(
    'lets public %s in',
    (address) => {
      expect(refusalOf(address, [])).toBeNull()
    },
  )

  it('lets in what WEBHOOK_ALLOWED_NETWORKS lists, and only that', () => {
    const allowed = parseNetworks('10.20.0.0/16, 127.0.0.1 fd00:1::/32')
    expect(refusalOf('10.20.3.4', allowed)).toBeNull()
    expect(refusalOf('::ffff:10.20.3.4', allowed)).toBeNull()
    expect(refusalOf('127.0.0.1', allowed)).toBeNull()
    expect(refusalOf('fd00:1::9', allowed)).toBeNull()
    expect(refusalOf('10.21.0.1', allowed)).toBe('a private (RFC 1918) address')
    expect(refusalOf('127.0.0.2', allowed)).toBe('a loopback address')
    expect(refusalOf('169.254.169.254', allowed)).toMatch(/link-local/)
    expect(parseNetworks('')).toEqual([])
  })

  it('refuses a configuration entry that is not a network', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8,intranet' })).toThrow(ConfigError)
    expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/33' })).toThrow(/WEBHOOK_ALLOWED_NETWORKS/)
    expect(loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8' }).WEBHOOK_ALLOWED_NETWORKS).toBe('10.0.0.0/8')
  })

  it('the connection look-up fails before connecting when any address is refused', async () => {
    const targets = new WebhookTargets([])
    targets.resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::1', family: 6 },
    ]
    const looked = await new Promise<{ err: unknown; address: unknown }>((resolve) =>
      targets.lookup('mixed.example.test', { all: true }, (err, address) => resolve({ err, address })),
    )
    expect(looked.err).toMatchObject({
      name: 'TargetRefused',
      message:
        'target not allowed: mixed.example.test resolves to ::1, a loopback address (not in WEBHOOK_ALLOWED_NETWORKS)',
    })
    targets.resolver = async () => [{ address: '93.184.215.14', family: 4 }]
    const ok = await new Promise<{ err: unknown; address: unknown; family: unknown }>((resolve) =>
      targets.lookup('public.example.test', {}, (err, address, family) => resolve({ err, address, family })),
    )
    expect(ok).toEqual({ err: null, address: '93.184.215.14', family: 4 })
  })
})
