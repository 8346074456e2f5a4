import crypto, { type KeyObject } from 'node:crypto'

/**
 * A signed checkpoint (contract §9): the sequence and hash of a committed batch's last event, signed with
 * an Ed25519 key kept outside the database. Whoever holds one can tell a rewritten or truncated history
 * from the real one, even when the rewritten chain is internally consistent.
 */
export interface Checkpoint {
  sequence: number
  hash: string
  at: string
  keyId: string
  /** base64 of the Ed25519 signature over `checkpointMessage`. */
  signature: string
}

/** The signed bytes: `popscreen-checkpoint:v1:<sequence>:<hash>:<at>` in UTF-8. */
export function checkpointMessage(c: Pick<Checkpoint, 'sequence' | 'hash' | 'at'>): Buffer {
  return Buffer.from(`popscreen-checkpoint:v1:${c.sequence}:${c.hash}:${c.at}`, 'utf8')
}

/** A key's id: `ed25519:` and the first 16 hex digits of the sha256 of its SubjectPublicKeyInfo (DER). */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return `ed25519:${crypto.hash('sha256', der, 'hex').slice(0, 16)}`
}

export interface SigningKey {
  keyId: string
  privateKey: KeyObject
  publicKey: KeyObject
  publicKeyPem: string
}

/** A signing key from a PKCS#8 PEM private key; throws unless it is Ed25519. */
export function signingKeyOf(privateKeyPem: string): SigningKey {
  const privateKey = crypto.createPrivateKey(privateKeyPem)
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`the audit signing key must be Ed25519, not ${privateKey.asymmetricKeyType}`)
  const publicKey = crypto.createPublicKey(privateKey)
  return {
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export function signCheckpoint(key: SigningKey, c: Pick<Checkpoint, 'sequence' | 'hash' | 'at'>): Checkpoint {
  const signature = crypto.sign(null, checkpointMessage(c), key.privateKey).toString('base64')
  return { sequence: c.sequence, hash: c.hash, at: c.at, keyId: key.keyId, signature }
}

/** Public keys by id, from PEM text holding one or more `PUBLIC KEY` blocks (keys rotated over time). */
export function publicKeysOfPem(pemText: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>()
  for (const block of pemText.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? []) {
    const key = crypto.createPublicKey(block)
    if (key.asymmetricKeyType === 'ed25519') keys.set(keyIdOf(key), key)
  }
  return keys
}

/** Whether the checkpoint's signature is valid under `publicKey`. */
export function checkpointSignatureValid(c: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return crypto.verify(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'))
  } catch {
    return false
  }
}
